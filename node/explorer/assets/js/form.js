// Forms generated from a method's JSON Schema (docs/abi.md, "Schemas"):
// one input per argument field (data-testid "arg-<dot path>"), validated
// here before anything is sent. Integers are kept as decimal text and
// written into the JSON exactly, so no int64 is rounded through a double.
import { h } from "./dom.js";

const MAX_DEPTH = 16; // recursive types stop here: deeper values are typed as JSON

/** Raw is JSON text written as is (an exact integer). */
class Raw {
  constructor(text) { this.text = text; }
}

/** toJSON writes a value built by a form (objects in schema order, Raw verbatim). */
export function toJSON(v) {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJSON).join(",")}]`;
  if (v && typeof v === "object") return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJSON(x)}`).join(",")}}`;
  return JSON.stringify(v);
}

/** resolve follows $ref (local "#/$defs/…" only) and returns [schema, nullable]. */
function resolve(s, root) {
  let nullable = false;
  for (let i = 0; i < 32 && s; i++) {
    if (s.$ref) {
      const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
      s = m ? root.$defs?.[m[1].replaceAll("~1", "/").replaceAll("~0", "~")] : null;
      continue;
    }
    const alts = s.anyOf ?? s.oneOf;
    if (alts) {
      const rest = alts.filter((a) => a.type !== "null");
      nullable ||= rest.length < alts.length;
      if (rest.length === 1) { s = rest[0]; continue; }
      return [{}, nullable]; // a real union: typed as JSON
    }
    break;
  }
  if (!s) return [{}, nullable];
  if (Array.isArray(s.type)) {
    const types = s.type.filter((t) => t !== "null");
    nullable ||= types.length < s.type.length;
    if (types.length === 1) return [{ ...s, type: types[0] }, nullable];
    return [{}, nullable];
  }
  return [s, nullable];
}

class Invalid extends Error {}

/**
 * field builds the input(s) of schema s at path: {el, read()} where read
 * returns the value, undefined for "left empty", or throws Invalid.
 */
function field(s0, path, label, required, root, depth, idPrefix) {
  const [s, nullable] = resolve(s0, root);
  const testid = `arg-${path || "args"}`;
  const id = `${idPrefix}-${testid}`; // ids are unique on the page: every method's form has its own
  const hint = s.description ? h("span", { class: "muted" }, ` ${s.description}`) : null;
  const labelEl = (forId) => h("label", { for: forId }, label || "arguments", required ? h("span", { class: "req", title: "required" }, " *") : null, hint);
  const fail = (msg) => { throw new Invalid(`${path || "arguments"}: ${msg}`); };
  const optionalEmpty = (text) => text === "" && (!required || nullable);

  if (depth > MAX_DEPTH) return jsonField(id, testid, labelEl, required, nullable, fail, optionalEmpty);
  if (s.type === "object" && s.properties) {
    const req = new Set(s.required ?? []);
    const kids = Object.entries(s.properties).map(([k, ps]) => [k, field(ps, path ? `${path}.${k}` : k, k, req.has(k), root, depth + 1, idPrefix)]);
    const el = h("fieldset", { testid: `group-${path || "args"}` }, h("legend", {}, label || "arguments", nullable ? " (optional)" : ""), kids.map(([, f]) => f.el));
    return {
      el,
      read() {
        const out = {};
        let any = false;
        for (const [k, f] of kids) {
          const v = f.read();
          if (v !== undefined) { out[k] = v; any = true; }
        }
        if (!any && nullable && path) return undefined;
        for (const k of req) if (!(k in out)) fail(`${k} is required`);
        return out;
      },
    };
  }
  if (s.type === "array") {
    const items = [];
    const list = h("ol", { class: "items" });
    const add = () => {
      const i = items.length;
      const f = field(s.items ?? {}, `${path}.${i}`, `${label} ${i}`, true, root, depth + 1, idPrefix);
      const li = h("li", {}, f.el, h("button", { type: "button", class: "small", onclick: () => {
        items.splice(items.indexOf(entry), 1);
        li.remove();
      } }, "Remove"));
      const entry = { f, li };
      items.push(entry);
      list.append(li);
    };
    const el = h("fieldset", { testid: `group-${path}` }, h("legend", {}, label, required ? " *" : ""), list,
      h("button", { type: "button", class: "small", testid: `add-${path}`, onclick: add }, `Add ${label} item`));
    return {
      el,
      read() {
        const out = items.map(({ f }) => f.read()).map((v) => (v === undefined ? null : v));
        if (!out.length && !required) return undefined;
        if (s.minItems !== undefined && out.length < s.minItems) fail(`at least ${s.minItems} items`);
        if (s.maxItems !== undefined && out.length > s.maxItems) fail(`at most ${s.maxItems} items`);
        return out;
      },
    };
  }
  if (s.type === "boolean") {
    const input = h("input", { id, testid, type: "checkbox" });
    return { el: h("div", { class: "check" }, input, labelEl(id)), read: () => input.checked };
  }
  if (s.type === "integer" || s.type === "number") {
    const input = h("input", { id, testid, type: "text", inputmode: "numeric", autocomplete: "off",
      placeholder: s.type === "integer" ? `integer${s.minimum !== undefined ? ` ${s.minimum} … ${s.maximum}` : ""}` : "number" });
    return {
      el: h("div", { class: "field" }, labelEl(id), input),
      read() {
        const t = input.value.trim();
        if (optionalEmpty(t)) return nullable && required ? null : undefined;
        if (t === "") fail("required");
        if (s.type === "integer") {
          if (!/^-?(0|[1-9]\d*)$/.test(t)) fail(`"${t}" is not an integer`);
          const n = BigInt(t);
          if (s.minimum !== undefined && n < BigInt(s.minimum)) fail(`must be >= ${s.minimum}`);
          if (s.maximum !== undefined && n > BigInt(s.maximum)) fail(`must be <= ${s.maximum}`);
          return new Raw(t);
        }
        const n = Number(t);
        if (t === "" || !Number.isFinite(n)) fail(`"${t}" is not a number`);
        return n;
      },
    };
  }
  if (s.type === "string") {
    const input = s.enum
      ? h("select", { id, testid }, required ? null : h("option", { value: "" }, "—"), s.enum.map((v) => h("option", { value: v }, v)))
      : h("input", { id, testid, type: "text", autocomplete: "off", spellcheck: "false",
        placeholder: s.pattern === "^0x[0-9a-fA-F]{40}$" ? "0x… address" : s.format ?? "" });
    let re = null;
    try {
      re = s.pattern ? new RegExp(s.pattern, "u") : null;
    } catch { /* a pattern this browser cannot compile is left to the node */ }
    return {
      el: h("div", { class: "field" }, labelEl(id), input),
      read() {
        const t = input.value;
        if (t === "" && !required) return undefined;
        if (t === "" && nullable) return null;
        const len = [...t].length;
        if (s.minLength !== undefined && len < s.minLength) fail(`at least ${s.minLength} characters`);
        if (s.maxLength !== undefined && len > s.maxLength) fail(`at most ${s.maxLength} characters`);
        if (re && !re.test(t)) fail(s.pattern === "^0x[0-9a-fA-F]{40}$" ? `"${t}" is not a 0x address` : `does not match ${s.pattern}`);
        return t;
      },
    };
  }
  return jsonField(id, testid, labelEl, required, nullable, fail, optionalEmpty);
}

// jsonField is a value the form cannot break down (maps, unions, any
// JSON): typed as JSON text.
function jsonField(id, testid, labelEl, required, nullable, fail, optionalEmpty) {
  const input = h("textarea", { id, testid, rows: 3, spellcheck: "false", placeholder: "JSON" });
  return {
    el: h("div", { class: "field" }, labelEl(id), input),
    read() {
      const t = input.value.trim();
      if (optionalEmpty(t)) return nullable && required ? null : undefined;
      if (t === "") fail("required (JSON)");
      try {
        JSON.parse(t);
      } catch (err) {
        fail(`not JSON: ${err.message}`);
      }
      return new Raw(t);
    },
  };
}

/**
 * argsForm builds the argument fields of a method from its args schema
 * (absent: the method takes none); idPrefix keeps its element ids apart
 * from other forms' on the page. read() returns the arguments as JSON
 * text ("" for none) or throws an Error whose message says what is wrong.
 */
export function argsForm(schema, idPrefix) {
  if (!schema || (schema.type === "object" && schema.properties && Object.keys(schema.properties).length === 0)) {
    return { el: h("p", { class: "muted" }, "No arguments."), read: () => (schema ? "{}" : "") };
  }
  const [s] = resolve(schema, schema);
  if (s.type === "object" && s.properties) {
    const req = new Set(s.required ?? []);
    const kids = Object.entries(s.properties).map(([k, ps]) => [k, field(ps, k, k, req.has(k), schema, 1, idPrefix)]);
    return {
      el: h("div", { class: "args" }, kids.map(([, f]) => f.el)),
      read() {
        const out = {};
        for (const [k, f] of kids) {
          const v = f.read();
          if (v !== undefined) out[k] = v;
        }
        for (const k of req) if (!(k in out)) throw new Invalid(`${k} is required`);
        return toJSON(out);
      },
    };
  }
  const f = field(schema, "", "arguments", true, schema, 1, idPrefix);
  return { el: f.el, read: () => { const v = f.read(); return v === undefined ? "" : toJSON(v); } };
}
