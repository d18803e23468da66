// The explorer's shell: boot (chain description, trust, restored key),
// hash routing, and the header (who is signed in, which signers are
// trusted). Pages live in pages/*.js and render into <main>.
import { Api } from "./api.js";
import { Marks, errorBox, h, link } from "./dom.js";
import { Trust } from "./verify.js";
import * as wallet from "./wallet.js";
import * as blocks from "./pages/blocks.js";
import * as contracts from "./pages/contracts.js";
import * as contract from "./pages/contract.js";
import * as deploy from "./pages/deploy.js";
import * as events from "./pages/events.js";
import * as governance from "./pages/governance.js";
import * as overview from "./pages/overview.js";
import * as signin from "./pages/signin.js";
import * as state from "./pages/state.js";
import * as trustPage from "./pages/trust.js";
import * as tx from "./pages/tx.js";

// Routes: a pattern over the hash path, and whether it reads the ledger
// (and so needs a signed-in member).
const routes = [
  [/^\/signin$/, signin.render, false],
  [/^\/trust$/, trustPage.render, false],
  [/^\/$/, overview.render, true],
  [/^\/blocks$/, blocks.renderList, true],
  [/^\/block\/(\d+)$/, blocks.renderBlock, true],
  [/^\/tx\/(0x[0-9a-fA-F]{64})$/, tx.render, true],
  [/^\/contracts$/, contracts.render, true],
  [/^\/contract\/(0x[0-9a-fA-F]{40})$/, contract.render, true],
  [/^\/state\/(0x[0-9a-fA-F]{40})\/(.+)$/, state.render, true],
  [/^\/governance$/, governance.render, true],
  [/^\/events$/, events.render, true],
  [/^\/deploy$/, deploy.render, true],
];

const main = document.getElementById("main");
const summary = document.getElementById("verify-summary");
const ctx = { api: new Api(), chain: null, trust: null, signer: null, marks: null, signal: null };
let controller = null;

/** signIn makes signer the current key and goes to where the user was headed. */
ctx.signIn = (signer) => {
  ctx.signer = signer;
  ctx.api.session = () => signer.sessionHeader();
  renderWho();
  const next = sessionStorage.getItem("meshledger.next") || "#/";
  sessionStorage.removeItem("meshledger.next");
  location.hash = next;
};

ctx.signOut = () => {
  wallet.forget();
  ctx.signer = null;
  ctx.api.session = null;
  renderWho();
  location.hash = "#/signin";
};

ctx.renderTrust = renderTrust;

function renderWho() {
  const who = document.getElementById("who");
  who.replaceChildren();
  if (ctx.signer) {
    who.append(h("span", { class: "muted" }, ctx.signer.kind === "wallet" ? "wallet " : "key "),
      h("code", { testid: "signed-in-address", title: "the address you sign with" }, ctx.signer.address), " ",
      h("button", { type: "button", class: "small", onclick: ctx.signOut }, "Sign out"));
  } else {
    who.append(link("#/signin", "Sign in"));
  }
}

function renderTrust() {
  const el = document.getElementById("trust");
  el.replaceChildren();
  if (!ctx.trust) return;
  const t = ctx.trust;
  el.append(h("span", {}, "Trusted block signer", t.signers.length === 1 ? ": " : "s: ",
    t.signers.map((a, i) => [i ? ", " : "", h("code", { testid: "trusted-signer" }, a)]), " ",
    t.firstUse ? h("span", { class: "muted" }, "(pinned on first use) ") : null, link("#/trust", "change")));
  const mismatch = t.nodeMismatch;
  if (mismatch) el.append(h("strong", { class: "warn", role: "alert" }, ` This node says it signs with ${mismatch}, which you do not trust.`));
}

async function route(event) {
  // The page being left stops: its requests and streams are aborted, its
  // late checks no longer touch the summary, and whatever it still renders
  // goes into its own detached view.
  controller?.abort();
  if (ctx.marks) ctx.marks.active = false;
  controller = new AbortController();
  ctx.signal = controller.signal;
  ctx.marks = new Marks(summary);
  const page = { ...ctx };
  const path = ((location.hash || "#/").slice(1) || "/").split("?")[0];
  const found = routes.find(([re]) => re.test(path));
  const view = h("div", { class: "view" });
  main.replaceChildren(view);
  if (event?.type === "hashchange") main.focus({ preventScroll: true }); // keyboard and screen-reader users start at the new page
  for (const a of document.querySelectorAll("nav a")) {
    const here = a.getAttribute("href") === "#" + path || (path.startsWith("/contract") && a.dataset.testid === "nav-contracts")
      || (path.startsWith("/block") && a.dataset.testid === "nav-blocks");
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!found) {
    view.append(h("h1", {}, "Not found"), h("p", {}, "No page at ", h("code", {}, path), ". ", link("#/", "Go to the overview.")));
    return;
  }
  const [re, render, reads] = found;
  if (reads && !ctx.signer) {
    sessionStorage.setItem("meshledger.next", "#" + path);
    location.hash = "#/signin";
    return;
  }
  const params = path.match(re).slice(1).map(decodeURIComponent);
  try {
    if (reads) await vouchGenesis();
    await render(page, params, view);
  } catch (err) {
    if (err.name === "AbortError") return;
    view.append(errorBox(err));
    if (err.status === 401 && ctx.signer) ctx.signer.session = null;
    if (err.code === "not_a_member" && ctx.signer) {
      view.append(h("p", {}, "An admin of an organisation adds this key with ",
        h("code", { testid: "member-add-hint" }, `meshledger member add ${ctx.signer.address} --roles deployer`), "."));
    }
  }
}

// vouchGenesis has block 1 vouch for the unsigned genesis header, once
// there is a block 1 (a failure leaves genesis unverified, and says so
// where it is shown).
async function vouchGenesis() {
  if (ctx.trust.genesisHeader) return;
  try {
    // Ask for block 1 only once it exists: a 404 would be logged by the browser.
    if (ctx.chain.latestHeight < 1) ctx.chain.latestHeight = (await ctx.api.chain()).latestHeight;
    if (ctx.chain.latestHeight < 1) return;
    const b = await ctx.api.get("/v1/blocks/1", { signal: ctx.signal });
    ctx.trust.vouchGenesis(b.header);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    if (err.status === 401 || err.status === 403 || err.status === 0) throw err;
  }
}

async function boot() {
  try {
    ctx.chain = await ctx.api.chain();
  } catch (err) {
    summary.dataset.verified = "none";
    summary.textContent = "";
    main.replaceChildren(h("h1", {}, "The node does not answer"), errorBox(err),
      h("button", { type: "button", onclick: () => location.reload() }, "Try again"));
    return;
  }
  document.getElementById("chain-name").textContent = `chain ${ctx.chain.chainId}`;
  ctx.trust = new Trust(ctx.chain);
  renderTrust();
  const kept = wallet.restore(ctx.chain);
  if (kept) {
    ctx.signer = kept;
    ctx.api.session = () => kept.sessionHeader();
  }
  renderWho();
  addEventListener("hashchange", route);
  await route();
}

boot();
