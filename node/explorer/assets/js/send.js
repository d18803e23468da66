// Sending a transaction: the sender's next nonce, an EIP-712 signature in
// the browser, POST /v1/txs?wait=true, and, when the wait ends before the
// block does, polling until it commits or is rejected.
import { ApiError } from "./api.js";
import { hexlify, toUtf8Bytes } from "./eth.js";

/** Gas limits the Go client uses by default (sdk/client). */
export const CALL_GAS = "50000000";
export const DEPLOY_GAS = "100000000000";

const POLL_MS = 500;
const POLL_FOR_MS = 120_000;

/** argsBytes is JSON text as the 0x-hex bytes a transaction signs ("0x" for none). */
export const argsBytes = (text) => (text ? hexlify(toUtf8Bytes(text)) : "0x");

/**
 * send signs and submits a transaction of type with the message fields
 * after from and nonce, and returns the committed Tx (or throws ApiError,
 * a rejection included). onStatus(text) reports progress.
 */
export async function send(ctx, type, fields, { code, onStatus = () => {} } = {}) {
  const signer = ctx.signer;
  const account = await ctx.api.get(`/v1/accounts/${signer.address}`);
  const message = { from: signer.address, nonce: String(account.pendingNonce), ...fields };
  onStatus(signer.kind === "wallet" ? "confirm the signature in your wallet…" : "signing…");
  const { tx, hash } = await signer.signTx(type, message, code);
  onStatus(`sent ${hash}, waiting for its block…`);
  const res = await ctx.api.post("/v1/txs?wait=true&timeout=30s", tx, { auth: false });
  let t = res.body;
  const until = Date.now() + POLL_FOR_MS;
  while (t.status === "pending") {
    if (Date.now() > until) throw new ApiError(0, "timeout", `transaction ${hash} is still pending after ${POLL_FOR_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, POLL_MS));
    t = await ctx.api.get(`/v1/txs/${hash}`);
  }
  if (t.status === "rejected") throw new ApiError(422, t.error?.code ?? "rejected", t.error?.message ?? "rejected");
  if (t.status === "committed" && !t.receipt) t = await ctx.api.get(`/v1/txs/${hash}`); // committed before we waited: fetch it whole
  return { t, hash, message };
}
