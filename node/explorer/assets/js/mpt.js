// A Merkle-Patricia proof verifier: the browser's copy of
// ledger/proof.VerifyProof. It walks the proof nodes from a root along a
// key and returns the leaf value, or null when the nodes prove the key
// absent. Nodes are matched by their keccak256, so a node that does not
// hash to the reference its parent holds is never used: a proof cannot be
// bent to another value without changing the root.
import { decodeRlp, encodeRlp, getBytes, hexlify, keccak256, toBeArray } from "./eth.js";

// EMPTY_ROOT is the root of an empty trie, keccak256(rlp("")).
export const EMPTY_ROOT = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

/** ProofError is a proof that proves nothing: a missing or malformed node. */
export class ProofError extends Error {
  constructor(message) {
    super(message);
    this.name = "ProofError";
  }
}

const nibblesOf = (bytes) => {
  const out = new Array(bytes.length * 2);
  bytes.forEach((b, i) => { out[2 * i] = b >> 4; out[2 * i + 1] = b & 15; });
  return out;
};

// compact decodes a hex-prefix encoded path: [nibbles, isLeaf].
const compact = (enc, depth) => {
  if (enc.length === 0) throw new ProofError(`depth ${depth}: empty path`);
  const flag = enc[0] >> 4;
  if (flag > 3) throw new ProofError(`depth ${depth}: bad path flag ${flag}`);
  const all = nibblesOf(enc);
  const odd = flag & 1;
  if (!odd && all[1] !== 0) throw new ProofError(`depth ${depth}: bad path padding`);
  return [all.slice(odd ? 1 : 2), flag >= 2];
};

const bytesItem = (item, depth) => {
  if (Array.isArray(item)) throw new ProofError(`depth ${depth}: list where bytes were expected`);
  return getBytes(item);
};

const hasPrefix = (path, prefix) => prefix.length <= path.length && prefix.every((n, i) => path[i] === n);

/**
 * verifyProof walks nodes (0x-hex RLP trie nodes, any order) from root
 * (0x-hex) along key (bytes) and returns the leaf value (Uint8Array), or
 * null for a proven absence. A proof that proves neither throws ProofError.
 */
export function verifyProof(root, key, nodes) {
  root = root.toLowerCase();
  if (root === EMPTY_ROOT) return null;
  const byHash = new Map();
  for (const n of nodes) byHash.set(keccak256(n), n);
  const lookup = (hash, depth) => {
    const blob = byHash.get(hash.toLowerCase());
    if (blob === undefined) throw new ProofError(`missing node ${hash} at depth ${depth}`);
    try {
      return decodeRlp(blob);
    } catch (err) {
      throw new ProofError(`depth ${depth}: node is not RLP: ${err.shortMessage ?? err.message}`);
    }
  };
  let path = nibblesOf(getBytes(key));
  let node = lookup(root, 0);
  for (let depth = 0; ; depth++) {
    if (!Array.isArray(node)) throw new ProofError(`depth ${depth}: node is not a list`);
    let ref;
    if (node.length === 17) { // branch: 16 children and a value slot
      if (path.length === 0) {
        const v = bytesItem(node[16], depth);
        return v.length ? v : null;
      }
      ref = node[path[0]];
      path = path.slice(1);
    } else if (node.length === 2) { // leaf or extension
      const [nibbles, leaf] = compact(bytesItem(node[0], depth), depth);
      if (leaf) {
        if (nibbles.length !== path.length || !hasPrefix(path, nibbles)) return null;
        const v = bytesItem(node[1], depth);
        if (!v.length) throw new ProofError(`depth ${depth}: empty leaf`);
        return v;
      }
      if (!hasPrefix(path, nibbles)) return null;
      ref = node[1];
      path = path.slice(nibbles.length);
    } else {
      throw new ProofError(`depth ${depth}: list of ${node.length} items`);
    }
    if (Array.isArray(ref)) { // a child under 32 bytes, embedded in its parent
      node = ref;
      continue;
    }
    const r = getBytes(ref);
    if (r.length === 0) return null;
    if (r.length !== 32) throw new ProofError(`depth ${depth}: reference of ${r.length} bytes`);
    node = lookup(hexlify(r), depth + 1);
  }
}

/** indexKey is the trie key of a block's transaction or receipt: rlp(index). */
export const indexKey = (index) => getBytes(encodeRlp(hexlify(toBeArray(BigInt(index)))));

/** stateTrieKey is keccak256(contract ‖ key), the state trie's key of a contract's key. */
export const stateTrieKey = (contract, key) => getBytes(keccak256(new Uint8Array([...getBytes(contract), ...getBytes(key)])));

/**
 * decodeEntry parses a state leaf rlp([version, height, txIndex, prev,
 * deleted, value]) (docs/state.md).
 */
export function decodeEntry(leaf) {
  const f = decodeRlp(leaf);
  if (!Array.isArray(f) || f.length !== 6 || f.some((x) => Array.isArray(x))) throw new ProofError("state leaf is not a 6-field entry");
  const int = (h) => (h === "0x" ? 0n : BigInt(h));
  return {
    version: int(f[0]), height: int(f[1]), txIndex: int(f[2]), prev: f[3],
    deleted: f[4] === "0x01", value: getBytes(f[5]),
  };
}

/**
 * verifyStateProof checks a StateProof (docs/api.md) against root:
 * returns {exists, value} as proven (a tombstone proves exists=false) and
 * throws ProofError when the nodes do not prove what the proof claims.
 */
export function verifyStateProof(root, p) {
  if (p.root && p.root.toLowerCase() !== root.toLowerCase()) throw new ProofError("proof is for another state root than the header's");
  const leaf = verifyProof(root, stateTrieKey(p.contract, p.key), p.nodes ?? []);
  const entry = leaf === null ? null : decodeEntry(leaf);
  const exists = entry !== null && !entry.deleted;
  const value = exists ? hexlify(entry.value) : "0x";
  if (Boolean(p.exists) !== exists) throw new ProofError(`proof says exists=${Boolean(p.exists)}, its nodes prove exists=${exists}`);
  if (exists && (p.value ?? "0x").toLowerCase() !== value) throw new ProofError("value differs from the value its nodes prove");
  return { exists, value, entry, leaf };
}
