// One contract: its proven metadata (name, code versions, approvals), its
// manifest (checked against the proven manifest hash), and a form per
// method generated from the manifest's argument schemas.
import { decodeRlp, getAddress, getBytes, hexlify } from "../eth.js";
import { ApiError } from "../api.js";
import { errorBox, fmtTime, h, link, mono, showValue } from "../dom.js";
import { argsForm } from "../form.js";
import { committedTx, keyLabel, statusText } from "../receipt.js";
import { CALL_GAS, argsBytes, send } from "../send.js";
import { SYSTEM } from "../ledger.js";
import { VerifyError, checkQuery, checkState, same } from "../verify.js";

const utf8 = (hx) => new TextDecoder().decode(getBytes(hx));
const int = (hx) => (hx === "0x" ? 0 : Number(BigInt(hx)));

/** checkMetadata proves the contract's record in the system namespace and compares it with what was served. */
export function checkMetadata(c, trust) {
  if (!c.proof || !c.header) throw new VerifyError("no proof of the contract's record served");
  if (!same(c.proof.contract, SYSTEM)) throw new VerifyError("the proof is not of the system namespace");
  const want = hexlify(new Uint8Array([...new TextEncoder().encode("contract/"), ...getBytes(c.address)]));
  if (!same(c.proof.key, want)) throw new VerifyError("the proof is of another key than this contract's record");
  const p = checkState(c.proof, c.header, trust, "contract record proof");
  if (!p.exists) throw new VerifyError("the proof shows no contract at this address");
  const f = decodeRlp(p.value);
  const [name, codeHash, deployer, height, txHash, methods, org, versions, manifestHash] = f;
  const mismatch = (what) => { throw new VerifyError(`the ${what} served differs from the proven record`); };
  if (utf8(name) !== c.name) mismatch("name");
  if (!same(codeHash, c.codeHash)) mismatch("code hash");
  if (!same(getAddress(deployer), c.deployer)) mismatch("deployer");
  if (int(height) !== c.height) mismatch("deploy height");
  if (!same(txHash, c.txHash)) mismatch("deploy transaction");
  if (methods.map(utf8).join("\n") !== (c.methods ?? []).join("\n")) mismatch("method list");
  if (utf8(org) !== (c.org ?? "")) mismatch("organisation");
  if (versions.length !== (c.versions ?? []).length) mismatch("code versions");
  versions.forEach((v, i) => {
    const cv = c.versions[i];
    if (!same(v[0], cv.codeHash) || int(v[1]) !== cv.height || !same(v[2], cv.txHash)) mismatch(`code version ${i + 1}`);
    if ((v[3] ?? []).map(utf8).join(",") !== (cv.approvers ?? []).join(",")) mismatch(`approvals of version ${i + 1}`);
  });
  if ((manifestHash ?? null) !== (c.manifestHash ? c.manifestHash.toLowerCase() : null)) mismatch("manifest hash");
  return { manifestHash: manifestHash ?? null };
}

async function sha256(text) {
  return hexlify(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

export async function render(ctx, [address], main) {
  const c = await ctx.api.get(`/v1/contracts/${address}`, { signal: ctx.signal });
  const meta = { proven: null };
  main.append(h("h1", {}, c.name, " ", h("span", { class: "muted" }, "contract")),
    ctx.marks.block("Contract", h("dl", { class: "kv" },
      h("dt", {}, "address"), h("dd", {}, mono(getAddress(c.address), { testid: "contract-address" })),
      h("dt", {}, "organisation"), h("dd", {}, c.org || "—"),
      h("dt", {}, "deployer"), h("dd", {}, mono(c.deployer)),
      h("dt", {}, "deployed"), h("dd", {}, "block ", link(`#/block/${c.height}`, String(c.height)), " by ", link(`#/tx/${c.txHash}`, c.txHash, { class: "mono" })),
      h("dt", {}, "code hash"), h("dd", {}, mono(c.codeHash)),
      h("dt", {}, "manifest hash"), h("dd", {}, c.manifestHash ? mono(c.manifestHash) : "none (the code carries no manifest)"),
      h("dt", {}, "methods"), h("dd", {}, (c.methods ?? []).join(", "))),
    () => { meta.proven = checkMetadata(c, ctx.trust); }, { testid: "contract-meta" }));

  main.append(ctx.marks.block("Code versions", h("ol", { class: "versions" }, (c.versions ?? []).map((v) => h("li", { testid: "code-version" },
    mono(v.codeHash), " at block ", link(`#/block/${v.height}`, String(v.height)), " by ", link(`#/tx/${v.txHash}`, "transaction"),
    v.approvers?.length ? ` — approved by ${v.approvers.join(", ")}` : " — no approval needed"))),
  () => { checkMetadata(c, ctx.trust); }, { testid: "contract-versions" }));

  let manifest = null;
  if (c.manifestHash) {
    const res = await ctx.api.request("GET", `/v1/contracts/${address}/manifest`, { signal: ctx.signal, raw: true });
    manifest = JSON.parse(res.body);
    const details = h("details", {}, h("summary", {}, "Manifest (JSON)"), h("pre", { class: "value" }, JSON.stringify(manifest, null, 2)));
    main.append(ctx.marks.block("Manifest", details, async () => {
      const { manifestHash } = checkMetadata(c, ctx.trust);
      if ((await sha256(res.body)) !== manifestHash) throw new VerifyError("the manifest served does not hash to the proven manifest hash");
    }, { testid: "contract-manifest" }));
  }

  main.append(h("h2", {}, "Methods"),
    h("p", { class: "muted" }, "Query runs a method read-only at the latest block (nothing is signed or changed). Send signs a call transaction with your key and waits for its block."));
  const names = manifest ? Object.keys(manifest.methods ?? {}).filter((m) => m !== "init") : (c.methods ?? []).filter((m) => m !== "init");
  main.append(h("div", { class: "methods" }, names.map((name) => methodForm(ctx, address, name, manifest?.methods?.[name]))));
}

function methodForm(ctx, address, name, spec) {
  const idp = `m-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const args = argsForm(spec?.args, idp);
  const mode = h("fieldset", { class: "mode" }, h("legend", {}, "How"),
    h("input", { type: "radio", name: `${idp}-mode`, id: `${idp}-send`, value: "send", checked: true, testid: `mode-send-${name}` }),
    h("label", { for: `${idp}-send` }, "Send (signed transaction)"),
    h("input", { type: "radio", name: `${idp}-mode`, id: `${idp}-query`, value: "query", testid: `mode-query-${name}` }),
    h("label", { for: `${idp}-query` }, "Query (read-only)"));
  const gas = h("input", { id: `${idp}-gas`, type: "text", inputmode: "numeric", value: CALL_GAS, testid: `gas-${name}` });
  const button = h("button", { type: "submit", testid: `submit-${name}` }, "Send");
  const problems = h("div", { "aria-live": "polite" });
  const result = h("div", { testid: `result-${name}`, "aria-live": "polite", hidden: true });
  const form = h("form", { class: "method card", testid: `method-${name}`, novalidate: true },
    h("h3", {}, name), args.el, mode,
    h("details", {}, h("summary", {}, "Gas"), h("label", { for: `${idp}-gas` }, "Gas limit"), gas),
    button, problems, result);
  const isQuery = () => form.querySelector(`#${CSS.escape(idp)}-query`).checked;
  form.addEventListener("change", () => { button.textContent = isQuery() ? "Query" : "Send"; });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    problems.replaceChildren();
    let text;
    try {
      text = args.read();
      if (!isQuery() && !/^[1-9]\d*$/.test(gas.value.trim())) throw new Error("gas limit: a positive integer");
    } catch (err) {
      problems.append(h("p", { class: "validation-error", testid: "validation-error", role: "alert" }, err.message));
      return;
    }
    button.disabled = true;
    result.hidden = false;
    ctx.marks.forgetIn(result);
    const status = h("p", { class: "muted" }, "…");
    result.replaceChildren(status);
    try {
      if (isQuery()) {
        const body = `{"method":${JSON.stringify(name)}${text ? `,"args":${text}` : ""}}`;
        const { body: q } = await ctx.api.request("POST", `/v1/contracts/${address}/query`, { bodyText: body });
        result.replaceChildren(queryResult(ctx, q));
      } else {
        const { t } = await send(ctx, "call", { contract: getAddress(address), method: name, args: argsBytes(text), gasLimit: gas.value.trim() },
          { onStatus: (s) => { status.textContent = s; } });
        result.replaceChildren(committedTx(ctx, t, { testid: `receipt-${name}` }));
      }
    } catch (err) {
      result.replaceChildren(errorBox(err instanceof Error ? err : new ApiError(0, "error", String(err))));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function queryResult(ctx, q) {
  const body = h("dl", { class: "kv" },
    h("dt", {}, "status"), h("dd", {}, h("strong", { testid: "receipt-status", class: q.status === "ok" ? "ok" : "bad" }, statusText(q.status)),
      q.status !== "ok" ? [" ", h("code", {}, q.status), q.message ? `: ${q.message}` : ""] : null),
    h("dt", {}, "result"), h("dd", {}, q.result !== undefined ? h("pre", { class: "value", testid: "query-result" }, JSON.stringify(q.result, null, 2)) : showValue(q.return ?? "0x", { testid: "query-result" })),
    h("dt", {}, "at block"), h("dd", {}, link(`#/block/${q.height}`, String(q.height)), ` · ${fmtTime(q.header?.header?.timeMs)}`),
    h("dt", {}, "gas used"), h("dd", {}, q.gasUsed.toLocaleString("en")),
    h("dt", {}, "keys read"), h("dd", {}, (q.proofs ?? []).length ? h("ul", {}, q.proofs.map((p) => h("li", {},
      link(`#/state/${p.contract}/${p.key}`, keyLabel(p.key), { class: "mono", testid: "read-link" }), p.exists ? "" : " (absent)"))) : "none",
    q.proofsWithheld ? ` (${q.proofsWithheld} more withheld: you may not read them raw)` : ""));
  return ctx.marks.block("Query result", [body, h("p", { class: "muted" },
    "Verified: the header and every key the method read. The result itself is computed by the node from those values.")],
  () => checkQuery(q, ctx.trust), { testid: "query-verified" });
}
