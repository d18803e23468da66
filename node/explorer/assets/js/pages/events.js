// The live event feed: blocks and the contract events this reader may see
// (the node filters by the event's audience). A block is marked once its
// header verifies; an event once the receipt that emitted it is proven.
import { errorBox, fmtTime, h, link, showValue } from "../dom.js";
import { block } from "../ledger.js";
import { VerifyError, checkCommittedTx, same } from "../verify.js";

const KEEP = 200; // items kept on the page

export async function render(ctx, _params, main) {
  const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const latest = await block(ctx, "latest");
  const from = Math.max(1, latest.block.header.header.height - 9);
  const list = h("ol", { class: "feed", reversed: true, testid: "event-feed" });
  const state = h("p", { class: "muted", "aria-live": "off" }, `from block ${from}; connecting…`);
  const contract = h("input", { id: "events-contract", type: "text", value: q.get("contract") ?? "", placeholder: "0x… (all contracts)" });
  const filter = h("form", { class: "inline", onsubmit: (e) => {
    e.preventDefault();
    location.hash = `#/events${contract.value.trim() ? `?contract=${contract.value.trim()}` : ""}`;
  } }, h("label", { for: "events-contract" }, "Only the events of contract "), contract, h("button", { type: "submit" }, "Filter"));
  main.append(h("h1", {}, "Live events"), filter, state, list);
  const txs = new Map(); // tx hash -> promise of the proven receipt
  const provenReceipt = (hash) => {
    if (!txs.has(hash)) txs.set(hash, ctx.api.get(`/v1/txs/${hash}`, { signal: ctx.signal }).then((t) => checkCommittedTx(t, ctx.chain, ctx.trust).receipt));
    return txs.get(hash);
  };
  const query = `?from_height=${from}${q.get("contract") ? `&contract=${encodeURIComponent(q.get("contract"))}` : ""}`;
  ctx.api.events(query, (item) => {
    state.textContent = `live · last item ${item.id}`;
    let el;
    if (item.type === "block") {
      const d = item.data;
      el = ctx.marks.block(null, h("p", {}, "block ", link(`#/block/${d.height}`, String(d.height)), ` · ${fmtTime(d.timeMs)} · ${d.txCount} transaction${d.txCount === 1 ? "" : "s"}`),
        async () => {
          const b = await block(ctx, d.height);
          b.check();
          if (!same(b.block.header.hash, d.hash) || b.block.header.header.timeMs !== d.timeMs) throw new VerifyError("the event differs from the signed header");
        }, { testid: "feed-block" });
    } else if (item.type === "event") {
      const d = item.data;
      el = ctx.marks.block(null, h("div", {}, h("p", {}, h("strong", {}, d.name), " from ", link(`#/contract/${d.contract}`, d.contract, { class: "mono" }),
        " in ", link(`#/tx/${d.txHash}`, "transaction"), ` · block ${d.height}`), showValue(d.data ?? "0x")),
      async () => {
        const r = await provenReceipt(d.txHash);
        if (!r.events.some((e) => same(e.contract, d.contract) && e.name === d.name && same(e.data, d.data ?? "0x"))) {
          throw new VerifyError("the proven receipt of its transaction emitted no such event");
        }
      }, { testid: "feed-event" });
    } else {
      return;
    }
    list.prepend(h("li", {}, el));
    while (list.children.length > KEEP) {
      const old = list.lastElementChild;
      ctx.marks.forget(old.firstElementChild);
      old.remove();
    }
  }, (err) => state.replaceChildren(errorBox(err)), ctx.signal);
}
