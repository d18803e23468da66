// Reads that come with their own proof: each returns what the node served
// and a check that verifies it (throws VerifyError), so a page can show
// the value at once and mark it when the check ends.
import { hexlify, toUtf8Bytes } from "./eth.js";
import { VerifyError, checkHeader, checkState, same } from "./verify.js";

/** REGISTRY is the participant registry's address (docs/access.md). */
export const REGISTRY = "0x0000000000000000000000000000000000000001";
/** SYSTEM is the system namespace: nonces and contract metadata. */
export const SYSTEM = "0x0000000000000000000000000000000000000000";

/** keyHex is a key given as 0x-hex or UTF-8 text, as 0x-hex. */
export const keyHex = (key) => (/^0x([0-9a-fA-F]{2})*$/.test(key) ? key.toLowerCase() : hexlify(toUtf8Bytes(key)));

/**
 * proveKey reads contract's key (0x-hex) at height (default latest) and
 * returns {resp, check}: check() verifies that the proof is of that very
 * key, against the signed header of the height served, and returns the
 * proven {exists, value}.
 */
export async function proveKey(ctx, contract, key, height) {
  const q = new URLSearchParams({ key_hex: key });
  if (height !== undefined) q.set("height", String(height));
  const resp = await ctx.api.get(`/v1/contracts/${contract}/state/_?${q}`, { signal: ctx.signal });
  return { resp, check: () => checkStateResponse(resp, contract, key, ctx.trust) };
}

/**
 * checkStateResponse verifies a State answer (GET .../state/{key}) for
 * contract's key: the proof is of that very key, against the signed
 * header of the height served, and proves the value served.
 */
export function checkStateResponse(resp, contract, key, trust) {
  if (!same(resp.proof?.contract, contract) || !same(resp.proof?.key, key)) throw new VerifyError("the proof is of another key");
  if (resp.header?.header?.height !== resp.height) throw new VerifyError(`state at height ${resp.height} with the header of ${resp.header?.header?.height}`);
  const p = checkState(resp.proof, resp.header, trust);
  if (p.exists !== Boolean(resp.exists) || (p.exists && !same(p.value, resp.value ?? "0x"))) throw new VerifyError("the value served is not the proven value");
  return p;
}

/** block fetches a block ("latest" or a height) with a check of its header. */
export async function block(ctx, height) {
  const b = await ctx.api.get(`/v1/blocks/${height}`, { signal: ctx.signal });
  const check = () => {
    const hd = checkHeader(b.header, ctx.trust);
    if (height !== "latest" && hd.height !== Number(height)) throw new VerifyError(`asked for block ${height}, got ${hd.height}`);
    return hd;
  };
  return { block: b, check };
}

/** json parses proven bytes (0x-hex) as JSON. */
export function json(hex) {
  const text = new TextDecoder().decode(Uint8Array.from((hex.slice(2).match(/../g) ?? []).map((b) => parseInt(b, 16))));
  return JSON.parse(text);
}
