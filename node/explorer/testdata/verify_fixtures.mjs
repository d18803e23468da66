// Runs the explorer's own verification modules (assets/js) in Node on
// fixtures a real ledger produced, altered copies included; the Go test
// (jsverify_test.go) writes the fixtures and reads the verdicts.
//
// Usage: node verify_fixtures.mjs fixtures.json, from a directory holding
// the explorer's js/ and vendor/ directories and a package.json of type
// module. Prints [{"name","ok","error"}] in the order of the cases.
import fs from "fs";
import { checkStateResponse } from "./js/ledger.js";
import { LineageVerifier } from "./js/lineage.js";
import { Trust, checkCommittedTx, checkHeader, checkQuery } from "./js/verify.js";

const { chain, cases } = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));

const memory = () => {
  const m = new Map();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => m.set(k, v) };
};

const run = (c) => {
  const trust = new Trust(c.chain ?? chain, memory());
  switch (c.kind) {
    case "header":
      if (c.pin) trust.pin(c.pin, true); // the user trusts only this signer (#/trust)
      return checkHeader(c.header, trust);
    case "genesis":
      trust.vouchGenesis(c.block1);
      return checkHeader(c.header, trust);
    case "state": return checkStateResponse(c.state, c.contract, c.key, trust);
    case "tx": return checkCommittedTx(c.tx, chain, trust);
    case "query": return checkQuery(c.query, trust);
    case "lineage": {
      const v = new LineageVerifier(trust);
      for (const p of c.pages) v.page(p);
      return v.version;
    }
    default: throw new Error(`unknown case kind ${c.kind}`);
  }
};

const out = cases.map((c) => {
  try {
    run(c);
    return { name: c.name, ok: true };
  } catch (err) {
    return { name: c.name, ok: false, error: `${err.name}: ${err.message}` };
  }
});
process.stdout.write(JSON.stringify(out));
