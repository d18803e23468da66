// A key's lineage verified as docs/api.md ("Lineage") specifies: each
// entry's leaf commits to the previous one, each sits in a signed block
// whose receipt wrote exactly that value, and the latest state leaf is the
// last entry's. The same checks as sdk/client.VerifyLineage.
import { decodeRlp, encodeRlp, getAddress, getBytes, hexlify, keccak256 } from "./eth.js";
import { ProofError, indexKey, verifyProof, stateTrieKey } from "./mpt.js";
import { VerifyError, checkHeader, decodeReceipt, rlpInt, same } from "./verify.js";

const ZERO = "0x" + "00".repeat(32);

/** leafOf is an entry's state leaf rlp([version, height, txIndex, prev, deleted, value]). */
export const leafOf = (e) => encodeRlp([rlpInt(e.version), rlpInt(e.height), rlpInt(e.txIndex), e.prev,
  e.deleted ? "0x01" : "0x", e.deleted ? "0x" : (e.value ?? "0x")]);

/** LineageFailure names the version whose check failed. */
export class LineageFailure extends VerifyError {
  constructor(version, message) {
    super(`version ${version}: ${message}`);
    this.version = version;
  }
}

const included = (version, root, index, nodes, what) => {
  let leaf;
  try {
    leaf = verifyProof(root, indexKey(index), nodes ?? []);
  } catch (err) {
    if (err instanceof ProofError) throw new LineageFailure(version, `${what} proof: ${err.message}`);
    throw err;
  }
  if (leaf === null) throw new LineageFailure(version, `${what} proof: absent`);
  return leaf;
};

/**
 * LineageVerifier checks pages in the order served. Each entry it accepts
 * gets `signer` (the transaction's sender, from the proven transaction)
 * and `timeMs` (the signed header's time).
 */
export class LineageVerifier {
  constructor(trust) {
    this.trust = trust;
    this.prevLeaf = null;
    this.version = 0;
  }

  page(p) {
    for (const e of p.entries) this.entry(p, e);
    if (!p.nextCursor) this.latest(p);
  }

  entry(p, e) {
    const version = this.version + 1;
    if (e.version !== version) throw new LineageFailure(version, `next entry served is version ${e.version}`);
    this.version = version;
    const want = this.prevLeaf === null ? ZERO : keccak256(this.prevLeaf);
    if (!same(e.prev, want)) throw new LineageFailure(version, "prev is not the previous entry's hash: an entry was dropped, reordered or altered");
    let hd;
    try {
      hd = checkHeader(e.header, this.trust);
    } catch (err) {
      throw new LineageFailure(version, err.message);
    }
    if (hd.height !== e.height) throw new LineageFailure(version, "header of another block");
    e.timeMs = hd.timeMs;
    if (e.height > 0) {
      const tx = included(version, hd.txRoot, e.txIndex, e.txProof, "transaction");
      if (!same(hexlify(tx), e.tx)) throw new LineageFailure(version, "another transaction at its index");
      const receipt = decodeReceipt(included(version, hd.receiptRoot, e.txIndex, e.receiptProof, "receipt"));
      if (!same(receipt.txHash, e.txHash)) throw new LineageFailure(version, "the receipt is another transaction's");
      const w = receipt.writes.filter((x) => same(x.contract, p.contract) && same(x.key, p.key)).pop();
      if (!w || w.delete !== Boolean(e.deleted) || (!e.deleted && !same(w.value, e.value ?? "0x"))) {
        throw new LineageFailure(version, "the value is not what its transaction wrote");
      }
      const fields = decodeRlp(tx)[2];
      e.signer = getAddress(fields[0]);
    }
    this.prevLeaf = leafOf(e);
  }

  latest(p) {
    const l = p.latest;
    if (!l) throw new LineageFailure(this.version, "the last page carries no latest state");
    let hd;
    try {
      hd = checkHeader(l.header, this.trust);
    } catch (err) {
      throw new LineageFailure(this.version, `latest state: ${err.message}`);
    }
    let leaf;
    try {
      leaf = verifyProof(hd.stateRoot, stateTrieKey(p.contract, p.key), l.proof?.nodes ?? []);
    } catch (err) {
      throw new LineageFailure(this.version, `latest state proof: ${err.message}`);
    }
    const ok = leaf === null ? this.prevLeaf === null : this.prevLeaf !== null && hexlify(leaf) === hexlify(getBytes(this.prevLeaf));
    if (!ok) throw new LineageFailure(this.version, `entries missing after version ${this.version}`);
  }
}
