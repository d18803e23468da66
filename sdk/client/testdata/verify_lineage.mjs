// Verifies a key's lineage, as GET /v1/contracts/{a}/history/{k}?proofs=true
// serves it, with @ethereumjs/mpt, @ethereumjs/rlp and ethers alone: the
// JavaScript recipe of docs/api.md ("Lineage"), independent of the Go client.
//
// Usage (from a directory where `npm install ethers@6 @ethereumjs/mpt@10
// @ethereumjs/util@10 @ethereumjs/rlp@10` was run):
//   node verify_lineage.mjs pages.json
// where pages.json is {"trusted":"0xNodeAddress","pages":[Lineage…]}, the
// pages in the order served (oldest entries first). It prints
// {"ok":true,"versions":N} or {"ok":false,"version":V,"error":"…"}.
import { verifyMerkleProof } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { bytesToHex, concatBytes, equalsBytes, hexToBytes } from "@ethereumjs/util";
import { keccak256, recoverAddress, Signature } from "ethers";
import fs from "fs";

const { trusted, pages } = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const b = (hex) => hexToBytes(hex ?? "0x");

class Failure extends Error {
  constructor(version, message) {
    super(message);
    this.version = version;
  }
}

// 1. A header is authentic if keccak256(rlp(fields)) is its hash and the
//    signature over that hash recovers to a node you trust.
const checkHeader = (version, sh) => {
  const h = sh.header;
  const enc = RLP.encode([
    BigInt(h.chainId), BigInt(h.height), b(h.parentHash), BigInt(h.timeMs), b(h.txRoot),
    b(h.receiptRoot), b(h.stateRoot), b(h.proposer), b(h.logRoot),
  ]);
  if (keccak256(enc) !== sh.hash.toLowerCase()) throw new Failure(version, "header fields do not hash to its hash");
  const sig = b(sh.signature);
  if (sig.length !== 65) throw new Failure(version, "header signature is not 65 bytes");
  const signer = recoverAddress(sh.hash, Signature.from({
    r: bytesToHex(sig.slice(0, 32)), s: bytesToHex(sig.slice(32, 64)), v: 27 + sig[64],
  }));
  if (signer.toLowerCase() !== trusted.toLowerCase()) throw new Failure(version, `header signed by ${signer}`);
  return h;
};

// 2. An entry's leaf is rlp([version, height, txIndex, prev, deleted, value]).
const leafOf = (e) => RLP.encode([
  BigInt(e.version), BigInt(e.height), BigInt(e.txIndex), b(e.prev), e.deleted ? 1 : 0, e.deleted ? new Uint8Array() : b(e.value),
]);

const included = async (version, root, index, nodes, what) => {
  try {
    const leaf = await verifyMerkleProof(RLP.encode(index), nodes.map(b), { root: b(root), useKeyHashing: false });
    if (leaf === null) throw new Error("absent");
    return leaf;
  } catch (err) {
    throw new Failure(version, `${what} proof: ${err.message}`);
  }
};

const run = async () => {
  let prevLeaf = null; // the last verified entry's leaf
  let version = 0;
  for (const page of pages) {
    const contract = b(page.contract);
    const key = b(page.key);
    for (const e of page.entries) {
      if (e.version !== version + 1) throw new Failure(version + 1, `next entry served is version ${e.version}`);
      version = e.version;
      // 3. The chain: prev is keccak256 of the previous entry's leaf.
      const want = prevLeaf === null ? "0x" + "00".repeat(32) : keccak256(prevLeaf);
      if (e.prev.toLowerCase() !== want) throw new Failure(version, "prev is not the previous entry's hash");
      const h = checkHeader(version, e.header);
      if (h.height !== e.height) throw new Failure(version, "header of another block");
      if (e.height > 0) {
        // 4. The transaction is in txRoot and its receipt in receiptRoot
        //    (keys rlp(txIndex)), and the receipt's last write of the key
        //    is this entry's value or deletion.
        const tx = await included(version, h.txRoot, e.txIndex, e.txProof, "transaction");
        if (!equalsBytes(tx, b(e.tx))) throw new Failure(version, "another transaction at its index");
        const receipt = RLP.decode(await included(version, h.receiptRoot, e.txIndex, e.receiptProof, "receipt"));
        if (bytesToHex(receipt[0]) !== e.txHash.toLowerCase()) throw new Failure(version, "receipt of another transaction");
        let write = null;
        for (const w of receipt[7]) {
          if (equalsBytes(w[0], contract) && equalsBytes(w[1], key)) write = w;
        }
        if (write === null) throw new Failure(version, "the receipt does not write the key");
        const deleted = write[3].length === 1;
        if (deleted !== Boolean(e.deleted) || (!deleted && !equalsBytes(write[2], b(e.value)))) {
          throw new Failure(version, "entry differs from the receipt's write");
        }
      }
      prevLeaf = leafOf(e);
    }
    if (!page.nextCursor) {
      // 5. The latest state leaf of the key is the newest entry.
      const s = page.latest;
      const h = checkHeader(version + 1, s.header);
      let leaf;
      try {
        leaf = await verifyMerkleProof(concatBytes(contract, key), s.proof.nodes.map(b), { root: b(h.stateRoot), useKeyHashing: true });
      } catch (err) {
        throw new Failure(version + 1, `latest state proof: ${err.message}`);
      }
      if (leaf === null ? prevLeaf !== null : prevLeaf === null || !equalsBytes(leaf, prevLeaf)) {
        throw new Failure(version + 1, "the latest state leaf is not the newest entry");
      }
      return version;
    }
  }
  throw new Failure(version + 1, "no last page");
};

try {
  console.log(JSON.stringify({ ok: true, versions: await run() }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, version: err.version ?? 0, error: err.message }));
}
