// Governance: proposals (each proven from its registry record) with
// approve and reject, signed registry calls that an organisation admin
// sends.
import { errorBox, fmtTime, h, mono } from "../dom.js";
import { REGISTRY, json, keyHex, proveKey } from "../ledger.js";
import { committedTx } from "../receipt.js";
import { CALL_GAS, argsBytes, send } from "../send.js";
import { VerifyError } from "../verify.js";

export async function render(ctx, _params, main) {
  const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const status = q.get("status") ?? "";
  const page = await ctx.api.get(`/v1/proposals?limit=50${status ? `&status=${status}` : ""}${q.get("cursor") ? `&cursor=${encodeURIComponent(q.get("cursor"))}` : ""}`, { signal: ctx.signal });
  const policy = await ctx.api.get("/v1/policy", { signal: ctx.signal });
  main.append(h("h1", {}, "Governance"),
    h("p", {}, `Deploy policy: ${policy.policy.deployPolicy}; a proposal needs ${policy.policy.threshold || "a majority of"} organisation${policy.policy.threshold === 1 ? "" : "s"}. Votes are sent by organisation admins.`),
    h("nav", { "aria-label": "Proposal status", class: "filters" }, ["", "open", "executed", "rejected", "expired"].map((s) =>
      h("a", { href: `#/governance${s ? `?status=${s}` : ""}`, "aria-current": s === status ? "page" : null }, s || "all"))));
  if (!page.proposals.length) main.append(h("p", {}, "No proposals."));
  for (const p of [...page.proposals].reverse()) main.append(await proposal(ctx, p, page.height));
  if (page.nextCursor) main.append(h("p", {}, h("a", { href: `#/governance?cursor=${encodeURIComponent(page.nextCursor)}` }, "More")));
}

async function proposal(ctx, p, height) {
  const { resp, check } = await proveKey(ctx, REGISTRY, keyHex(`proposal/${String(p.id).padStart(20, "0")}`), height);
  const out = h("div", { "aria-live": "polite" });
  const vote = (method) => async () => {
    ctx.marks.forgetIn(out);
    out.replaceChildren(h("p", { class: "muted" }, "…"));
    try {
      const { t } = await send(ctx, "call", { contract: REGISTRY, method, args: argsBytes(JSON.stringify({ id: p.id })), gasLimit: CALL_GAS },
        { onStatus: (s) => { out.firstChild.textContent = s; } });
      out.replaceChildren(committedTx(ctx, t), h("button", { type: "button", class: "small", onclick: () => dispatchEvent(new HashChangeEvent("hashchange")) }, "Refresh proposals"));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  const body = h("div", {},
    h("dl", { class: "kv" },
      h("dt", {}, "status"), h("dd", { testid: "proposal-status" }, p.status),
      h("dt", {}, "proposer"), h("dd", {}, mono(p.proposer), ` (${p.proposerOrg})`),
      h("dt", {}, "created"), h("dd", {}, `block ${p.height} · ${fmtTime(p.createdMs)}`),
      h("dt", {}, "expires"), h("dd", {}, fmtTime(p.expiresMs)),
      h("dt", {}, "approvals"), h("dd", {}, p.approvals?.join(", ") || "none"),
      h("dt", {}, "rejections"), h("dd", {}, p.rejections?.join(", ") || "none"),
      h("dt", {}, "parameters"), h("dd", {}, h("pre", { class: "value" }, JSON.stringify(p.params, null, 2)))),
    p.status === "open" ? h("p", { class: "actions" },
      h("button", { type: "button", testid: `approve-${p.id}`, onclick: vote("approve") }, "Approve"), " ",
      h("button", { type: "button", testid: `reject-${p.id}`, onclick: vote("reject") }, "Reject")) : null,
    out);
  return ctx.marks.block(`Proposal #${p.id}: ${p.kind}`, body, () => {
    const v = check();
    if (!v.exists) throw new VerifyError(`no record of proposal ${p.id} in the registry`);
    const rec = json(v.value);
    const eq = (a, b) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
    if (rec.id !== p.id || rec.kind !== p.kind || rec.proposer.toLowerCase() !== p.proposer.toLowerCase() || !eq(rec.approvals, p.approvals)
      || !eq(rec.rejections, p.rejections) || rec.expiresMs !== p.expiresMs || JSON.stringify(rec.params) !== JSON.stringify(p.params)) {
      throw new VerifyError("the proposal served differs from its proven record");
    }
    // An open record past its expiry reads "expired" (as of the proven block's time).
    const want = rec.status === "open" && resp.header.header.timeMs >= rec.expiresMs ? "expired" : rec.status;
    if (want !== p.status) throw new VerifyError(`status ${p.status} served, the proven record says ${want}`);
  }, { testid: "proposal" });
}
