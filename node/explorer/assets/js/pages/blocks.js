// Blocks: the latest blocks, and one block's header and transactions.
import { fmtTime, h, link, mono, short } from "../dom.js";
import { block } from "../ledger.js";

const PAGE = 20;

/** headerRows lists a verified header's fields. */
export const headerRows = (sh) => {
  const hd = sh.header;
  return h("dl", { class: "kv" },
    h("dt", {}, "height"), h("dd", { testid: "block-height" }, String(hd.height)),
    h("dt", {}, "hash"), h("dd", {}, mono(sh.hash)),
    h("dt", {}, "time"), h("dd", {}, fmtTime(hd.timeMs)),
    h("dt", {}, "parent"), h("dd", {}, hd.height > 0 ? link(`#/block/${hd.height - 1}`, hd.parentHash, { class: "mono" }) : mono(hd.parentHash)),
    h("dt", {}, "proposer"), h("dd", {}, mono(hd.proposer)),
    h("dt", {}, "state root"), h("dd", {}, mono(hd.stateRoot)),
    h("dt", {}, "tx root"), h("dd", {}, mono(hd.txRoot)),
    h("dt", {}, "receipt root"), h("dd", {}, mono(hd.receiptRoot)),
    h("dt", {}, "log root"), h("dd", {}, mono(hd.logRoot)),
    h("dt", {}, "signature"), h("dd", {}, mono(sh.signature || "none")));
};

export async function renderList(ctx, _params, main) {
  const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const latest = await block(ctx, "latest");
  const top = Math.min(Number(q.get("before") ?? Infinity), latest.block.header.header.height);
  main.append(h("h1", {}, "Blocks"));
  const table = h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "height"), h("th", { scope: "col" }, "time"),
    h("th", { scope: "col" }, "transactions"), h("th", { scope: "col" }, "hash"), h("th", { scope: "col" }, "verified"))));
  const body = h("tbody");
  table.append(body);
  main.append(h("div", { class: "scroll" }, table));
  const heights = [];
  for (let i = top; i >= 0 && heights.length < PAGE; i--) heights.push(i);
  const got = await Promise.all(heights.map((n) => block(ctx, n)));
  for (const b of got) {
    const hd = b.block.header.header;
    const mark = ctx.marks.block(null, h("span", {}), () => b.check(), { class: "vblock inline", testid: "block-row-mark" });
    body.append(h("tr", { testid: "block-row" }, h("td", {}, link(`#/block/${hd.height}`, String(hd.height))), h("td", {}, fmtTime(hd.timeMs)),
      h("td", {}, String(b.block.txCount)), h("td", {}, mono(short(b.block.header.hash), { title: b.block.header.hash })), h("td", {}, mark)));
  }
  const last = heights[heights.length - 1];
  if (last > 0) main.append(h("p", {}, link(`#/blocks?before=${last - 1}`, "Older blocks")));
}

export async function renderBlock(ctx, [height], main) {
  const b = await block(ctx, height);
  main.append(h("h1", {}, `Block ${height}`),
    ctx.marks.block("Header", headerRows(b.block.header), () => b.check(), { testid: "block-header" }));
  const hashes = b.block.txHashes ?? [];
  main.append(h("h2", {}, `Transactions (${b.block.txCount})`),
    hashes.length < b.block.txCount ? h("p", { class: "muted" }, `${b.block.txCount - hashes.length} of them are not yours to read.`) : null,
    h("ol", { start: 0, class: "txs" }, hashes.map((t) => h("li", {}, link(`#/tx/${t}`, t, { class: "mono" })))),
    h("p", { class: "muted" }, "Each transaction's inclusion in this block is proven on its own page."));
}
