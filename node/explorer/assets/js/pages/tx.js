// A transaction: pending, rejected, or committed with its proven receipt.
import { errorBox, h, mono } from "../dom.js";
import { ApiError } from "../api.js";
import { committedTx } from "../receipt.js";

export async function render(ctx, [hash], main) {
  main.append(h("h1", {}, "Transaction"), h("p", {}, mono(hash)));
  const t = await ctx.api.get(`/v1/txs/${hash}`, { signal: ctx.signal });
  if (t.status === "committed") {
    main.append(committedTx(ctx, t, { testid: "tx-receipt" }));
  } else if (t.status === "rejected") {
    main.append(h("p", {}, "Rejected: it never entered a block."), errorBox(new ApiError(422, t.error?.code ?? "rejected", t.error?.message ?? "rejected")));
  } else {
    main.append(h("p", { testid: "tx-pending" }, `Pending (not yet in a block). Reload to see it committed.`));
  }
}
