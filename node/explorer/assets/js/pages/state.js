// A key's state and its whole lineage: the value proven at the latest
// block, and a timeline of every version (newest first) with who wrote
// it, when, in which transaction, and what changed from the version
// before. The lineage is verified end to end before any entry is marked.
import { errorBox, fmtTime, h, link, mono, showValue, utf8 } from "../dom.js";
import { keyHex, proveKey } from "../ledger.js";
import { LineageVerifier } from "../lineage.js";
import { keyLabel } from "../receipt.js";

const PAGE = 100;

export async function render(ctx, [address, rawKey], main) {
  const key = keyHex(rawKey);
  main.append(h("h1", {}, "State"),
    h("dl", { class: "kv" }, h("dt", {}, "contract"), h("dd", {}, link(`#/contract/${address}`, address, { class: "mono" })),
      h("dt", {}, "key"), h("dd", {}, mono(keyLabel(key), { testid: "state-key" }), key !== keyLabel(key) ? h("span", { class: "muted" }, ` (${key})`) : null)));

  const { resp, check } = await proveKey(ctx, address, key);
  main.append(ctx.marks.block(`Value at block ${resp.height}`,
    resp.exists ? showValue(resp.value, { testid: "state-value" }) : h("p", { testid: "state-value", class: "muted" }, "absent (never written, or deleted)"),
    () => check(), { testid: "state-block" }));

  const timeline = h("ol", { class: "timeline", reversed: true, testid: "lineage" });
  const section = h("section", {}, h("h2", {}, "Lineage"), h("p", { class: "muted" }, "Every version of this key, newest first."), timeline);
  main.append(section);

  // Fetch every page first (oldest first, as served), then verify in
  // order; each entry's mark waits for the verification of the whole chain
  // up to and including it (and the completeness check at the end).
  const pages = [];
  try {
    let cursor = "";
    do {
      const q = new URLSearchParams({ key_hex: key, proofs: "true", limit: String(PAGE) });
      if (cursor) q.set("cursor", cursor);
      const p = await ctx.api.get(`/v1/contracts/${address}/history/_?${q}`, { signal: ctx.signal });
      pages.push(p);
      cursor = p.nextCursor ?? "";
    } while (cursor);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    section.append(errorBox(err));
    return;
  }
  const verifier = new LineageVerifier(ctx.trust);
  const outcome = (async () => {
    try {
      for (const p of pages) verifier.page(p);
      return null;
    } catch (err) {
      return err;
    }
  })();
  const entries = pages.flatMap((p) => p.entries);
  if (!entries.length) timeline.append(h("li", { class: "muted" }, "No versions."));
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    const before = i > 0 ? entries[i - 1] : null;
    const who = h("span", {}, "…");
    const when = h("span", {}, "…");
    const body = h("div", {},
      h("p", {}, h("strong", {}, `version ${e.version}`), " · block ", link(`#/block/${e.height}`, String(e.height)), " · ", when, " · by ", who,
        e.height > 0 ? [" · ", link(`#/tx/${e.txHash}`, "transaction", { class: "mono" })] : " · genesis"),
      e.deleted ? h("p", {}, h("strong", {}, "deleted"))
        : i === entries.length - 1 ? showValue(e.value ?? "0x", { testid: "lineage-value" })
          : h("details", {}, h("summary", {}, "value"), showValue(e.value ?? "0x", { testid: "lineage-value" })),
      before ? diff(before, e) : null);
    timeline.append(h("li", { value: String(e.version) }, ctx.marks.block(null, body, async () => {
      const err = await outcome;
      if (err && (err.version === undefined || err.version <= e.version)) throw err;
      if (err) throw new Error(`the lineage fails at version ${err.version}: ${err.message}`);
      who.replaceChildren(e.signer ? mono(e.signer) : "genesis");
      when.textContent = fmtTime(e.timeMs);
    }, { testid: "lineage-entry", dataset: { version: String(e.version) } })));
  }
}

// diff shows what changed between two versions: top-level fields of JSON
// objects, else the old and new values.
function diff(a, b) {
  const parse = (e) => {
    if (e.deleted) return undefined;
    const t = utf8(e.value ?? "0x");
    try {
      return t === null ? undefined : JSON.parse(t);
    } catch {
      return undefined;
    }
  };
  const x = parse(a);
  const y = parse(b);
  const isObj = (v) => v && typeof v === "object" && !Array.isArray(v);
  if (isObj(x) && isObj(y)) {
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])];
    const rows = keys.filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k])).map((k) => h("li", { testid: "diff-row" },
      h("code", {}, k), ": ", k in x ? h("del", {}, JSON.stringify(x[k])) : h("em", {}, "absent"), " → ", k in y ? h("ins", {}, JSON.stringify(y[k])) : h("em", {}, "removed")));
    return h("details", { class: "diff", open: true }, h("summary", {}, `changes from version ${a.version} (${rows.length} field${rows.length === 1 ? "" : "s"})`), h("ul", {}, rows));
  }
  return h("details", { class: "diff" }, h("summary", {}, `changes from version ${a.version}`),
    h("p", {}, "before: ", a.deleted ? h("em", {}, "deleted") : showValue(a.value ?? "0x")), h("p", {}, "after: ", b.deleted ? h("em", {}, "deleted") : showValue(b.value ?? "0x")));
}
