// Deploy a contract from a .wasm file: a signed Deploy transaction
// carrying the code, its address known before it is sent.
import { getAddress, getCreateAddress, hexlify, keccak256 } from "../eth.js";
import { errorBox, h, link, mono } from "../dom.js";
import { committedTx } from "../receipt.js";
import { DEPLOY_GAS, send } from "../send.js";

export async function render(ctx, _params, main) {
  const file = h("input", { id: "deploy-file", testid: "deploy-file", type: "file", accept: ".wasm,application/wasm", required: true });
  const name = h("input", { id: "deploy-name", testid: "deploy-name", type: "text", required: true, autocomplete: "off", placeholder: "e.g. loan" });
  const init = h("textarea", { id: "deploy-init", testid: "deploy-init", rows: 2, spellcheck: "false", placeholder: "JSON, empty for none" });
  const button = h("button", { type: "submit", testid: "deploy-submit" }, "Deploy");
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card", novalidate: true },
    h("label", { for: "deploy-file" }, "Wasm code (built with make contracts or sdk/build, manifest embedded)"), file,
    h("label", { for: "deploy-name" }, "Name"), name,
    h("label", { for: "deploy-init" }, "init arguments (optional)"), init,
    button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    ctx.marks.forgetIn(out);
    out.replaceChildren();
    const f = file.files?.[0];
    const initText = init.value.trim();
    try {
      if (!f) throw new Error("choose a .wasm file");
      if (!name.value.trim()) throw new Error("give the contract a name");
      if (initText) JSON.parse(initText);
    } catch (err) {
      out.append(h("p", { class: "validation-error", testid: "validation-error", role: "alert" }, err.message));
      return;
    }
    button.disabled = true;
    const status = h("p", { class: "muted" }, "reading the code…");
    out.append(status);
    try {
      const code = new Uint8Array(await f.arrayBuffer());
      const { t, message } = await send(ctx, "deploy", {
        codeHash: keccak256(code), name: name.value.trim(), initArgs: initText ? hexlify(new TextEncoder().encode(initText)) : "0x", gasLimit: DEPLOY_GAS,
      }, { code: hexlify(code), onStatus: (s) => { status.textContent = s; } });
      const r = t.receipt;
      if (r.status !== "ok") {
        out.replaceChildren(h("div", { class: "error", role: "alert" }, h("p", { testid: "error-message" }, `the deploy failed: ${r.status}${r.message ? `: ${r.message}` : ""}`),
          h("p", {}, "code: ", h("code", { testid: "error-code" }, r.status))), committedTx(ctx, t));
        return;
      }
      let addr = r.contractAddress;
      let proposal = null;
      if (!addr) { // under the approval policy the deploy opens a proposal and returns the reserved address
        try {
          const ret = JSON.parse(new TextDecoder().decode(Uint8Array.from(r.return.slice(2).match(/../g) ?? [], (b) => parseInt(b, 16))));
          proposal = ret.proposal ?? null;
        } catch { /* no return */ }
        addr = getCreateAddress({ from: message.from, nonce: BigInt(message.nonce) });
      }
      addr = getAddress(addr);
      out.replaceChildren(h("div", { testid: "deploy-result", "data-address": addr, class: "ok-box" },
        proposal !== null
          ? h("p", {}, "Deploy proposal ", link("#/governance", `#${proposal}`), " opened; once approved the contract will be at ", mono(addr), ".")
          : h("p", {}, "Deployed at ", link(`#/contract/${addr}`, addr, { class: "mono", testid: "deploy-link" }), ".")),
      committedTx(ctx, t));
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      button.disabled = false;
    }
  });
  main.append(h("h1", {}, "Deploy a contract"),
    h("p", {}, "The code is hashed and signed here (only its hash is signed; the code travels beside the signature)."), form, out);
}
