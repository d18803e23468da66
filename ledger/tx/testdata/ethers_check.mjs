// Recomputes the published test vectors with ethers.js v6, independently of
// the Go code, signing the way docs/transactions.md tells partners to, and
// prints one freshly signed read session header ("SESSION <header>").
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
// A read session's Authorization header, built as docs/transactions.md
// tells partners to.
const sessionHeader = (reader, issuedMs, expiresMs, signature) =>
  `MeshSession ${reader.toLowerCase()}.${issuedMs}.${expiresMs}.${signature.toLowerCase()}`;

for (const [name, v] of Object.entries(vectors)) {
  const wallet = new Wallet(v.privateKey);
  // The session is not a transaction: its type is served in chain.types
  // under "ReadSession" but listed in no primaryTypes entry.
  const primaryType = name === "session" ? "ReadSession" : chain.primaryTypes[name];
  const types = { [primaryType]: chain.types[primaryType] };
  const message = name === "session" ? v.typedData.message : v.wire.message;
  check(`${name} address`, wallet.address, v.address);
  check(`${name} domainSeparator`, TypedDataEncoder.hashDomain(chain.domain), v.domainSeparator);
  check(`${name} structHash`, TypedDataEncoder.from(types).hash(message), v.structHash);
  check(`${name} digest`, TypedDataEncoder.hash(chain.domain, types, message), v.digest);
  check(`${name} signature`, await wallet.signTypedData(chain.domain, types, message), v.signature);
  check(`${name} recovered`, verifyTypedData(chain.domain, types, message, v.signature), v.address);
  if (v.header) {
    check(`${name} header`, sessionHeader(wallet.address, message.issuedMs, message.expiresMs, v.signature), v.header);
  }
  if (v.contractAddress) {
    check(`${name} contractAddress`, getCreateAddress({ from: v.address, nonce: v.wire.message.nonce }), v.contractAddress);
  }
}
// A fresh session, signed now from the served typed data alone, for the
// Go side to verify against its own clock.
{
  const wallet = new Wallet(vectors.session.privateKey);
  const now = Date.now();
  const message = { reader: wallet.address, issuedMs: String(now), expiresMs: String(now + 3600000) };
  const signature = await wallet.signTypedData(chain.domain, { ReadSession: chain.types.ReadSession }, message);
  console.log(`SESSION ${sessionHeader(wallet.address, message.issuedMs, message.expiresMs, signature)}`);
}
console.log(failed === 0 ? "ethers.js agrees with every vector" : `${failed} mismatches`);
process.exit(failed === 0 ? 0 : 1);
