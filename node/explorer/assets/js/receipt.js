// A committed transaction as the explorer shows it: receipt (status, gas,
// return, events, writes with links to each key's state page), all from
// the proven receipt once the check passes.
import { fmtTime, h, link, mono, showValue, utf8 } from "./dom.js";
import { checkCommittedTx } from "./verify.js";

/** statusText is what receipt-status says: "ok" or "failed". */
export const statusText = (status) => (status === "ok" ? "ok" : "failed");

/** committedTx renders a committed Tx in a verified block. */
export function committedTx(ctx, t, attrs = {}) {
  const r = t.receipt;
  const m = t.tx?.message ?? {};
  const body = h("div", {},
    h("dl", { class: "kv" },
      h("dt", {}, "status"), h("dd", {}, h("strong", { testid: "receipt-status", class: r.status === "ok" ? "ok" : "bad" }, statusText(r.status)),
        r.status !== "ok" ? [" ", h("code", {}, r.status), r.message ? `: ${r.message}` : ""] : null),
      h("dt", {}, "transaction"), h("dd", {}, link(`#/tx/${t.hash}`, t.hash, { testid: "tx-link", class: "mono" })),
      h("dt", {}, "type"), h("dd", {}, t.tx?.type ?? ""),
      h("dt", {}, "sender"), h("dd", {}, mono(m.from ?? "")), // signed, and proven by the transaction's hash
      t.tx?.type === "call" ? [h("dt", {}, "call"), h("dd", {}, link(`#/contract/${m.contract}`, m.contract, { class: "mono" }), ` . ${m.method}`)] : null,
      t.tx?.type === "call" && m.args && m.args !== "0x" ? [h("dt", {}, "arguments"), h("dd", {}, showValue(m.args))] : null,
      t.tx?.type === "deploy" ? [h("dt", {}, "name"), h("dd", {}, m.name)] : null,
      h("dt", {}, "block"), h("dd", {}, link(`#/block/${r.height}`, String(r.height)), ` index ${r.index}`, t.header ? ` · ${fmtTime(t.header.header.timeMs)}` : ""),
      h("dt", {}, "gas used"), h("dd", { testid: "gas-used" }, `${r.gasUsed.toLocaleString("en")} of ${Number(m.gasLimit ?? 0).toLocaleString("en")}`),
      r.contractAddress ? [h("dt", {}, "contract created"), h("dd", {}, link(`#/contract/${r.contractAddress}`, r.contractAddress, { class: "mono" }))] : null,
      r.return && r.return !== "0x" ? [h("dt", {}, "returned"), h("dd", {}, showValue(r.return, { testid: "receipt-return" }))] : null),
    (r.events ?? []).length ? [h("h4", {}, "Events"), h("ul", { class: "events" }, r.events.map((e) => h("li", { testid: "receipt-event" },
      h("strong", {}, e.name), " from ", mono(e.contract), showValue(e.data), e.audience?.length ? h("span", { class: "muted" }, `audience: ${e.audience.join(", ")}`) : null)))] : null,
    (r.writes ?? []).length ? [h("h4", {}, "Writes"), h("ul", { class: "writes" }, r.writes.map((w) => h("li", { testid: "receipt-write" },
      link(`#/state/${w.contract}/${w.key}`, keyLabel(w.key), { testid: "write-link", class: "mono" }), w.delete ? " deleted" : [" = ", showValue(w.value ?? "0x")])))] : null);
  return ctx.marks.block(attrs.title ?? "Receipt", body, () => checkCommittedTx(t, ctx.chain, ctx.trust), attrs);
}

/** keyLabel shows a key as text when it is printable UTF-8, else hex. */
export const keyLabel = (hex) => {
  const s = utf8(hex);
  return s !== null && /^[\x20-\x7e]+$/.test(s) ? s : hex;
};
