// Contracts: every deployed contract, in address order. Each row is
// marked once the contract's record in the system namespace is proven and
// matches what the list says.
import { h, link, mono } from "../dom.js";
import { VerifyError, same } from "../verify.js";
import { checkMetadata } from "./contract.js";

export async function render(ctx, _params, main) {
  const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const cursor = q.get("cursor");
  const page = await ctx.api.get(`/v1/contracts?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { signal: ctx.signal });
  main.append(h("h1", {}, "Contracts"), h("p", {}, link("#/deploy", "Deploy a contract")));
  if (!page.contracts.length) {
    main.append(h("p", {}, "No contracts yet."));
    return;
  }
  const rows = page.contracts.map((c) => {
    const mark = ctx.marks.block(null, h("span", {}), async () => {
      const proven = await ctx.api.get(`/v1/contracts/${c.address}`, { signal: ctx.signal });
      checkMetadata(proven, ctx.trust);
      if (proven.name !== c.name || !same(proven.codeHash, c.codeHash) || proven.height !== c.height || (proven.versions ?? []).length !== (c.versions ?? []).length) {
        throw new VerifyError("the list differs from the contract's proven record");
      }
    }, { class: "vblock inline", testid: "contract-row-mark" });
    return h("tr", { testid: "contract-row" },
      h("td", {}, link(`#/contract/${c.address}`, c.name)), h("td", {}, mono(c.address)), h("td", {}, c.org || "—"),
      h("td", {}, link(`#/block/${c.height}`, String(c.height))), h("td", {}, String((c.versions ?? []).length)), h("td", {}, mark));
  });
  main.append(h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, ["name", "address", "organisation", "deployed at", "versions", "verified"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows))));
  if (page.nextCursor) main.append(h("p", {}, link(`#/contracts?cursor=${encodeURIComponent(page.nextCursor)}`, "Next page")));
}
