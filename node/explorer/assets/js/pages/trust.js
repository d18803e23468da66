// Which block signers this browser trusts for this chain. Pinned on first
// use from the node's own word (GET /v1/chain); a user who knows the
// signer's address from elsewhere pins it here.
import { errorBox, h, mono } from "../dom.js";

export async function render(ctx, _params, main) {
  const t = ctx.trust;
  const input = h("input", { id: "trust-address", testid: "trust-address", type: "text", placeholder: "0x… address", autocomplete: "off" });
  const out = h("div", { "aria-live": "polite" });
  const list = h("ul", {});
  const draw = () => {
    list.replaceChildren(...t.signers.map((a) => h("li", {}, mono(a))));
    ctx.renderTrust();
  };
  draw();
  const pin = (replace) => (e) => {
    e?.preventDefault();
    out.replaceChildren();
    try {
      t.pin(input.value.trim(), replace);
      draw();
    } catch (err) {
      out.append(errorBox(new Error(`not an address: ${err.shortMessage ?? err.message}`)));
    }
  };
  main.append(h("h1", {}, "Trusted block signers"),
    h("p", {}, "Headers are believed only when signed by one of these keys. The first time this browser saw chain ",
      mono(ctx.chain.genesisHash), " it pinned the key the node named; compare it with what the network's operators publish."),
    list,
    h("p", {}, "The node names its signer as ", mono(ctx.chain.nodeAddress), "."),
    h("form", { class: "card", onsubmit: pin(false) },
      h("label", { for: "trust-address" }, "Signer address"), input,
      h("p", {}, h("button", { type: "submit", testid: "trust-add" }, "Trust this signer too"), " ",
        h("button", { type: "button", testid: "trust-replace", onclick: pin(true) }, "Trust only this signer"))),
    out);
}
