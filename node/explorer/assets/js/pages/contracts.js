// Contracts: every deployed contract, in address order, each proven from
// its record in the system namespace on its own page.
import { h, link, mono } from "../dom.js";

export async function render(ctx, _params, main) {
  const q = new URLSearchParams(location.hash.split("?")[1] ?? "");
  const cursor = q.get("cursor");
  const page = await ctx.api.get(`/v1/contracts?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { signal: ctx.signal });
  main.append(h("h1", {}, "Contracts"), h("p", {}, link("#/deploy", "Deploy a contract")));
  if (!page.contracts.length) {
    main.append(h("p", {}, "No contracts yet."));
    return;
  }
  main.append(h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, ["name", "address", "organisation", "deployed at", "versions"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, page.contracts.map((c) => h("tr", { testid: "contract-row" },
      h("td", {}, link(`#/contract/${c.address}`, c.name)), h("td", {}, mono(c.address)), h("td", {}, c.org || "—"),
      h("td", {}, link(`#/block/${c.height}`, String(c.height))), h("td", {}, String((c.versions ?? []).length))))))),
  h("p", { class: "muted" }, "Open a contract to see its record proven."));
  if (page.nextCursor) main.append(h("p", {}, link(`#/contracts?cursor=${encodeURIComponent(page.nextCursor)}`, "Next page")));
}
