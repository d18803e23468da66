// Sign in: a key generated here, a hex key, a keystore JSON file with its
// password, or an injected browser wallet. The key stays in this tab.
import { errorBox, h } from "../dom.js";
import * as wallet from "../wallet.js";

export async function render(ctx, _params, main) {
  const status = h("div", { "aria-live": "polite" });
  const attempt = async (make) => {
    status.replaceChildren(h("p", { class: "muted" }, "signing in…"));
    try {
      const signer = await make();
      await signer.sessionHeader(); // sign the read session now: a wallet asks once, here
      status.replaceChildren();
      ctx.signIn(signer);
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  };

  const hex = h("input", { id: "signin-hex", testid: "signin-hex", type: "password", autocomplete: "off", spellcheck: "false", placeholder: "0x… (64 hex digits)" });
  const file = h("input", { id: "signin-keystore", testid: "signin-keystore", type: "file", accept: ".json,application/json" });
  const password = h("input", { id: "signin-keystore-password", testid: "signin-keystore-password", type: "password", autocomplete: "current-password" });

  main.append(
    h("h1", {}, "Sign in"),
    h("p", {}, "Reads are signed with your key (a read session) and transactions too. The key never leaves this browser tab: it is kept in its session storage and forgotten when the tab closes."),
    ctx.signer ? h("p", {}, "Signed in as ", h("code", {}, ctx.signer.address), ".") : null,
    h("div", { class: "cards" },
      h("section", { class: "card" }, h("h2", {}, "New key"),
        h("p", {}, "Generate a key in this browser. It is not a member until an organisation admin adds its address."),
        h("button", { type: "button", testid: "signin-generate", onclick: () => attempt(() => wallet.generateKey(ctx.chain)) }, "Generate a key")),
      h("form", { class: "card", onsubmit: (e) => { e.preventDefault(); attempt(() => wallet.importHex(hex.value, ctx.chain)); } },
        h("h2", {}, "Hex key"),
        h("label", { for: "signin-hex" }, "Private key"), hex,
        h("p", { class: "muted" }, "On a development node: the content of data/node.key."),
        h("button", { type: "submit", testid: "signin-hex-submit" }, "Sign in with this key")),
      h("form", { class: "card", onsubmit: (e) => {
        e.preventDefault();
        attempt(async () => {
          const f = file.files?.[0];
          if (!f) throw new Error("choose a keystore JSON file");
          return wallet.importKeystore(await f.text(), password.value, ctx.chain);
        });
      } },
      h("h2", {}, "Keystore file"),
      h("label", { for: "signin-keystore" }, "Keystore JSON"), file,
      h("label", { for: "signin-keystore-password" }, "Password"), password,
      h("button", { type: "submit", testid: "signin-keystore-submit" }, "Decrypt and sign in")),
      globalThis.ethereum ? h("section", { class: "card" }, h("h2", {}, "Browser wallet"),
        h("p", {}, "Sign with an injected wallet (EIP-1193): it asks you to sign the read session and each transaction."),
        h("button", { type: "button", testid: "signin-wallet", onclick: () => attempt(() => wallet.connectWallet(ctx.chain)) }, "Connect wallet")) : null),
    status);
}
