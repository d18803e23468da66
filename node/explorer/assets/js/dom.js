// DOM helpers: element building without innerHTML (values from the ledger
// are text, never markup), verified marks and error boxes.
import { ApiError } from "./api.js";

/** h builds an element: attrs (testid → data-testid, on* → listeners) and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "testid") el.dataset.testid = v;
    else if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** link is an in-app hash link. */
export const link = (href, text, attrs = {}) => h("a", { href, ...attrs }, text);

/** short abbreviates a long hex value for display; the full value is in the title. */
export const short = (hex) => (hex && hex.length > 20 ? `${hex.slice(0, 10)}…${hex.slice(-8)}` : hex ?? "");

/** code renders a hex value in full, monospace, wrapping. */
export const mono = (text, attrs = {}) => h("code", { class: "mono", ...attrs }, text);

/** kv renders a definition list of [label, value] rows. */
export const kv = (rows) => h("dl", { class: "kv" }, rows.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));

/** time formats a ledger millisecond time (UTC, so it reads the same everywhere). */
export const fmtTime = (ms) => (ms ? new Date(Number(ms)).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "");

/**
 * Marks tracks the verified marks of one page and keeps the page's
 * verify-summary in step with them.
 */
export class Marks {
  constructor(summary) {
    this.summary = summary;
    this.blocks = new Set();
    this.active = true; // false once the page is left: its late checks no longer touch the summary
    this.update();
  }

  /**
   * block wraps ledger-derived content in a block marked pending, runs
   * check (sync or async, throws on failure) and marks it verified or
   * failed, with the reason shown. Returns the block element.
   */
  block(title, content, check, attrs = {}) {
    const badge = h("span", { class: "badge", role: "status" }, "checking…");
    const el = h("section", { class: "vblock", ...attrs, dataset: { verified: "pending" } },
      h("header", { class: "vhead" }, title ? h("h3", {}, title) : null, badge), content);
    this.blocks.add(el);
    this.update();
    Promise.resolve().then(check).then(() => {
      el.dataset.verified = "true";
      badge.textContent = "✓ verified";
      badge.title = "checked in this browser against a header signed by a block signer you trust";
    }, (err) => {
      el.dataset.verified = "false";
      badge.textContent = "✗ not verified";
      el.append(h("p", { class: "verify-error", testid: "verify-error", role: "alert" }, `Verification failed: ${err.message}`));
      console.warn("verification failed:", err.message);
    }).finally(() => this.update());
    return el;
  }

  forget(el) {
    this.blocks.delete(el);
    this.update();
  }

  /** forgetIn drops the marks inside container (content about to be replaced). */
  forgetIn(container) {
    for (const el of container.querySelectorAll(".vblock")) this.blocks.delete(el);
    this.update();
  }

  update() {
    if (!this.active) return;
    const states = [...this.blocks].map((b) => b.dataset.verified);
    let v = "true";
    if (states.includes("false")) v = "false";
    else if (states.includes("pending")) v = "pending";
    else if (states.length === 0) v = "none";
    this.summary.dataset.verified = v;
    const n = states.length;
    const ok = states.filter((s) => s === "true").length;
    this.summary.textContent = {
      true: `✓ all ${n} ledger value${n === 1 ? "" : "s"} on this page verified`,
      false: `✗ ${n - ok} of ${n} checks failed`,
      pending: `checking… ${ok} of ${n} verified`,
      none: "no ledger values on this page",
    }[v];
  }
}

/** errorBox shows an API or other error with its code and what to do. */
export function errorBox(err) {
  const api = err instanceof ApiError;
  return h("div", { class: "error", role: "alert" },
    h("p", { testid: "error-message" }, err.message),
    api ? h("p", {}, "code: ", h("code", { testid: "error-code" }, err.code), ` (HTTP ${err.status || "—"})`) : null,
    api && err.hint ? h("p", { class: "hint" }, err.hint) : null);
}

/** utf8 decodes bytes as text when they are valid UTF-8, else null. */
export function utf8(hex) {
  if (!hex || hex === "0x") return "";
  const bytes = new Uint8Array(hex.slice(2).match(/../g).map((b) => parseInt(b, 16)));
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** showValue renders a ledger value: pretty JSON when it is JSON, text when UTF-8, else hex. */
export function showValue(hex, attrs = {}) {
  const text = utf8(hex);
  if (text === null) return h("pre", { class: "value", ...attrs }, hex);
  try {
    return h("pre", { class: "value", ...attrs }, JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    return h("pre", { class: "value", ...attrs }, text);
  }
}
