// Overview: latest height, block rate and transactions per second over the
// last blocks, organisations and their nodes; kept live by the event
// stream. Every figure comes from verified headers or proven records.
import { errorBox, fmtTime, h, link, mono } from "../dom.js";
import { REGISTRY, block, json, keyHex, proveKey } from "../ledger.js";

const WINDOW = 10; // blocks the rates are measured over

export async function render(ctx, _params, main) {
  const latest = await block(ctx, "latest");
  const head = latest.block.header.header;
  const height = h("span", { testid: "chain-height" }, String(head.height));
  const rates = h("dl", { class: "kv" });
  const recent = []; // {height, timeMs, txCount}, oldest first

  const showRates = () => {
    rates.replaceChildren();
    if (recent.length < 2) {
      rates.append(h("dt", {}, "rates"), h("dd", {}, "need two blocks"));
      return;
    }
    const first = recent[0];
    const last = recent[recent.length - 1];
    const secs = (last.timeMs - first.timeMs) / 1000;
    const txs = recent.slice(1).reduce((n, b) => n + b.txCount, 0);
    rates.append(
      h("dt", {}, "block rate"), h("dd", { testid: "block-rate" }, secs > 0 ? `${((recent.length - 1) / secs).toFixed(2)} blocks/s` : "—"),
      h("dt", {}, "throughput"), h("dd", { testid: "tx-rate" }, secs > 0 ? `${(txs / secs).toFixed(2)} tx/s` : "—"),
      h("dt", {}, "measured over"), h("dd", {}, `blocks ${first.height}–${last.height} (${secs.toFixed(1)} s of block time)`));
  };

  const lastTime = h("span", {}, fmtTime(head.timeMs));
  const lastHash = mono(latest.block.header.hash);
  main.append(h("h1", {}, "Overview"),
    ctx.marks.block("Chain", [
      h("dl", { class: "kv" },
        h("dt", {}, "height"), h("dd", {}, height),
        h("dt", {}, "latest block"), h("dd", {}, lastHash),
        h("dt", {}, "time"), h("dd", {}, lastTime),
        h("dt", {}, "chain id"), h("dd", {}, String(ctx.chain.chainId)),
        h("dt", {}, "consensus"), h("dd", {}, ctx.chain.consensus || "solo"),
        h("dt", {}, "block signer (node)"), h("dd", {}, mono(ctx.chain.nodeAddress)))], () => latest.check(), { testid: "chain-block" }));

  // Rates: the last WINDOW block headers, each verified.
  const from = Math.max(1, head.height - WINDOW); // genesis has no time of its own to measure from
  const fetched = await Promise.all(Array.from({ length: head.height - from }, (_, i) => block(ctx, from + i)));
  const rateCheck = () => {
    for (const b of fetched) {
      const hd = b.check();
      recent.push({ height: hd.height, timeMs: hd.timeMs, txCount: b.block.txCount });
    }
    recent.push({ height: head.height, timeMs: head.timeMs, txCount: latest.block.txCount });
    showRates();
  };
  main.append(ctx.marks.block("Throughput", [rates, h("p", { class: "muted" }, `Measured from the signed times of the last ${WINDOW} blocks (a solo node makes a block only when there are transactions). `, link("#/blocks", "All blocks"))],
    rateCheck, { testid: "rates-block" }));

  // Organisations, each proven from its registry record.
  const orgs = await ctx.api.get("/v1/orgs", { signal: ctx.signal });
  const list = h("div", { class: "orgs" });
  main.append(h("h2", {}, "Organisations"), list);
  for (const o of orgs.orgs) {
    const { resp, check } = await proveKey(ctx, REGISTRY, keyHex(`org/${o.id}`), orgs.height);
    const rec = resp.exists ? json(resp.value) : o;
    list.append(ctx.marks.block(rec.name || rec.id, h("dl", { class: "kv" },
      h("dt", {}, "id"), h("dd", {}, rec.id),
      h("dt", {}, "nodes"), h("dd", {}, (rec.nodes ?? []).length ? rec.nodes.map((a) => mono(a)) : "none"),
      h("dt", {}, "admins"), h("dd", {}, (rec.admins ?? []).map((a) => mono(a))),
      h("dt", {}, "added at height"), h("dd", {}, String(rec.addedHeight))), () => {
      const p = check();
      if (!p.exists) throw new Error(`no record org/${o.id} in the registry`);
      const proven = json(p.value);
      if (proven.id !== o.id) throw new Error("the organisation listed is not the proven one");
    }, { testid: "org" }));
  }

  // Live: each new block moves the height and the rates once its header verifies.
  const live = h("p", { class: "muted", "aria-live": "off" }, "live: waiting for blocks…");
  main.append(live);
  ctx.api.events(`?from_height=${head.height + 1}`, async (item) => {
    if (item.type !== "block") return;
    try {
      const b = await block(ctx, item.data.height);
      const hd = b.check();
      if (hd.height <= Number(height.textContent)) return;
      height.textContent = String(hd.height);
      lastHash.textContent = b.block.header.hash;
      lastTime.textContent = fmtTime(hd.timeMs);
      recent.push({ height: hd.height, timeMs: hd.timeMs, txCount: b.block.txCount });
      while (recent.length > WINDOW + 1) recent.shift();
      showRates();
      live.textContent = `live: block ${hd.height} verified at ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      if (err.name !== "AbortError") live.replaceChildren(errorBox(err));
    }
  }, (err) => live.replaceChildren(errorBox(err)), ctx.signal);
}
