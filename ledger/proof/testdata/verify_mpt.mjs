// Verifies meshledger proofs with @ethereumjs/mpt, independently of the Go
// code, the way docs/state.md tells clients to: verifyMerkleProof with the
// expected root, the state key hashed by the trie itself (useKeyHashing:
// keccak256(contract ‖ key)), and state leaves RLP-decoded as the entry
// [version, height, txIndex, prev, deleted, value]. State proofs are
// verified a second time in the other documented form, with the trie key
// hashed beforehand (the case's "trieKey") and key hashing off; the two
// must agree.
//
// Usage (from a directory where `npm install @ethereumjs/mpt@10
// @ethereumjs/util@10 @ethereumjs/rlp@10` was run):
//   node verify_mpt.mjs proofs.json
// where proofs.json is {"proofs":[{"name", "kind", "proof", "trieKey"}]}:
//   kind "state": proof is a state proof in its documented JSON form
//                 {"root","contract","key","value","exists","nodes"}; only
//                 root, contract, key and nodes are used (the claimed value
//                 is what is being checked). The trie key is
//                 keccak256(contract ‖ key) and the leaf is the entry
//                 rlp([version, height, txIndex, prev, deleted, value]);
//                 a tombstone (deleted = 0x01) proves the key absent.
//   kind "index": proof is {"root","index","nodes"}; the trie key is
//                 rlp(index), given to the trie as is, and the leaf is the
//                 raw item (transaction or receipt encoding).
// It prints {"results":[{"name","key","ok","leaf","value","deleted",
// "version","prev","error"}]}: key is what was passed to the verifier, ok
// is false when it rejected the proof, leaf is null for a key never
// written, and value is null for any absence (tombstones included).
import { verifyMerkleProof } from "@ethereumjs/mpt";
import { RLP } from "@ethereumjs/rlp";
import { bytesToHex, concatBytes, hexToBytes } from "@ethereumjs/util";
import fs from "fs";

const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));

// verifierKey is the key given to verifyMerkleProof and whether the trie
// hashes it.
const verifierKey = (kind, p) => {
  switch (kind) {
    case "state":
      return [concatBytes(hexToBytes(p.contract), hexToBytes(p.key)), true];
    case "index":
      return [RLP.encode(p.index), false];
    default:
      throw new Error(`unknown proof kind ${kind}`);
  }
};

// verify returns the proven leaf, null for absence, or an Error if the
// verifier rejected the proof.
const verify = (key, useKeyHashing, p) =>
  verifyMerkleProof(key, p.nodes.map(hexToBytes), { root: hexToBytes(p.root), useKeyHashing }).catch(
    (err) => (err instanceof Error ? err : new Error(String(err))),
  );

const describe = (v) => (v instanceof Error ? `rejected (${v.message})` : v === null ? "absent" : bytesToHex(v));

const results = [];
for (const { name, kind, proof: p, trieKey } of input.proofs) {
  const [key, useKeyHashing] = verifierKey(kind, p);
  const r = { name, key: bytesToHex(key), ok: false, leaf: null, value: null, deleted: false, version: 0, prev: null, error: "" };
  const leaf = await verify(key, useKeyHashing, p);
  if (leaf instanceof Error) {
    r.error = leaf.message;
  } else {
    r.ok = true;
    r.leaf = leaf === null ? null : bytesToHex(leaf);
  }
  if (kind === "state") {
    const prehashed = await verify(hexToBytes(trieKey), false, p);
    if (describe(prehashed) !== describe(leaf)) {
      r.ok = false;
      r.error = `key hashing: ${describe(leaf)}; pre-hashed key: ${describe(prehashed)}`;
    } else if (r.ok && leaf !== null) {
      try {
        const entry = RLP.decode(leaf);
        if (!Array.isArray(entry) || entry.length !== 6 || entry.some((x) => !(x instanceof Uint8Array))) {
          throw new Error("not an entry of six strings");
        }
        const [version, , , prev, deleted, value] = entry;
        if (prev.length !== 32) {
          throw new Error("prev is not 32 bytes");
        }
        if (deleted.length > 1 || (deleted.length === 1 && deleted[0] !== 1)) {
          throw new Error("deleted is not a boolean");
        }
        r.deleted = deleted.length === 1;
        if (r.deleted && value.length !== 0) {
          throw new Error("tombstone with a value");
        }
        r.version = version.length === 0 ? 0 : Number(BigInt(bytesToHex(version)));
        r.prev = bytesToHex(prev);
        r.value = r.deleted ? null : bytesToHex(value);
      } catch (err) {
        r.ok = false;
        r.error = `state leaf: ${err.message}`;
      }
    }
  }
  results.push(r);
}
console.log(JSON.stringify({ results }));
