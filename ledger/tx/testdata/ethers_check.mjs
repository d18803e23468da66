// Recomputes the published test vectors with ethers.js v6, independently of
// the Go code, signing the way docs/transactions.md tells partners to.
//
// Usage (from a directory where `npm install ethers@6` was run):
//   node ethers_check.mjs vectors.json chain.json
// where chain.json is what GET /v1/chain serves for chain id 1337.
import { Wallet, TypedDataEncoder, verifyTypedData, getCreateAddress } from "ethers";
import fs from "fs";

const vectors = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const chain = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
let failed = 0;
const check = (what, got, want) => {
  if (got.toLowerCase() !== want.toLowerCase()) {
    console.log(`MISMATCH ${what}: ${got} != ${want}`);
    failed++;
  }
};
for (const [name, v] of Object.entries(vectors)) {
  const wallet = new Wallet(v.privateKey);
  const primaryType = chain.primaryTypes[name];
  const types = { [primaryType]: chain.types[primaryType] };
  const message = v.wire.message;
  check(`${name} address`, wallet.address, v.address);
  check(`${name} domainSeparator`, TypedDataEncoder.hashDomain(chain.domain), v.domainSeparator);
  check(`${name} structHash`, TypedDataEncoder.from(types).hash(message), v.structHash);
  check(`${name} digest`, TypedDataEncoder.hash(chain.domain, types, message), v.digest);
  check(`${name} signature`, await wallet.signTypedData(chain.domain, types, message), v.signature);
  check(`${name} recovered`, verifyTypedData(chain.domain, types, message, v.signature), v.address);
  if (v.contractAddress) {
    check(`${name} contractAddress`, getCreateAddress({ from: v.address, nonce: v.wire.message.nonce }), v.contractAddress);
  }
}
console.log(failed === 0 ? "ethers.js agrees with every vector" : `${failed} mismatches`);
process.exit(failed === 0 ? 0 : 1);
