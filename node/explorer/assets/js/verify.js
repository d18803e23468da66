// What the explorer checks before it marks a value verified: that a
// header hashes to its hash and is signed by a block signer the user
// trusts, and that what the node served is what the header's roots prove.
// Every check throws VerifyError naming what failed; nothing here trusts
// the node beyond the signer addresses the user pinned.
import {
  Signature, TypedDataEncoder, decodeRlp, encodeRlp, getAddress, getBytes, hexlify, keccak256, recoverAddress,
  toBeArray, toUtf8Bytes,
} from "./eth.js";
import { ProofError, indexKey, verifyProof, verifyStateProof } from "./mpt.js";

/** VerifyError is a failed check; its message is shown to the user. */
export class VerifyError extends Error {
  constructor(message) {
    super(message);
    this.name = "VerifyError";
  }
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const rlpInt = (n) => hexlify(toBeArray(BigInt(n)));
const same = (a, b) => (a ?? "").toLowerCase() === (b ?? "").toLowerCase();

/**
 * Trust holds the block signers the user trusts for one chain (by its
 * genesis hash), pinned in localStorage on first use: a node that later
 * signs with another key is not believed until the user pins that key.
 */
export class Trust {
  constructor(chain, storage = globalThis.localStorage) {
    this.chain = chain;
    this.storage = storage;
    this.storeKey = `meshledger.trust.${chain.genesisHash}`;
    let pinned = [];
    try {
      pinned = JSON.parse(storage?.getItem(this.storeKey) ?? "[]");
    } catch {
      pinned = [];
    }
    this.firstUse = pinned.length === 0;
    if (this.firstUse && chain.nodeAddress) {
      pinned = [getAddress(chain.nodeAddress)];
      this.save(pinned);
    }
    this.signers = pinned.map((a) => getAddress(a));
    this.genesisHeader = null; // hash of header 0, once block 1 vouched for it (vouchGenesis)
  }

  /** vouchGenesis learns header 0's hash from a verified header 1. */
  vouchGenesis(signedHeader1) {
    const h = checkHeader(signedHeader1, this);
    if (h.height !== 1) throw new VerifyError(`block 1 asked, block ${h.height} served`);
    this.genesisHeader = h.parentHash.toLowerCase();
  }

  save(list) {
    try {
      this.storage?.setItem(this.storeKey, JSON.stringify(list));
    } catch { /* private mode: trust lasts this page only */ }
  }

  /** pin adds a trusted signer (an address), or replaces the list. */
  pin(address, replace = false) {
    const a = getAddress(address);
    this.signers = replace ? [a] : [...new Set([...this.signers, a])];
    this.save(this.signers);
  }

  trusts(address) {
    return this.signers.some((a) => same(a, address));
  }

  /** nodeMismatch: the node says it signs with a key the user does not trust. */
  get nodeMismatch() {
    return this.chain.nodeAddress && !this.trusts(this.chain.nodeAddress) ? getAddress(this.chain.nodeAddress) : null;
  }
}

/**
 * checkHeader verifies a SignedHeader: its fields hash to its hash and its
 * signature recovers to a trusted signer. Returns the header fields.
 */
export function checkHeader(sh, trust) {
  if (!sh || !sh.header) throw new VerifyError("no signed header served");
  const h = sh.header;
  const enc = encodeRlp([
    rlpInt(h.chainId), rlpInt(h.height), h.parentHash, rlpInt(h.timeMs), h.txRoot,
    h.receiptRoot, h.stateRoot, h.proposer, h.logRoot,
  ]);
  if (keccak256(enc) !== (sh.hash ?? "").toLowerCase()) throw new VerifyError(`header ${h.height}: its fields do not hash to its hash`);
  if (String(h.chainId) !== String(trust.chain.chainId)) throw new VerifyError(`header ${h.height}: of chain ${h.chainId}, not ${trust.chain.chainId}`);
  const sig = getBytes(sh.signature ?? "0x");
  if (sig.length === 0 && h.height === 0) {
    // Every node derives the genesis header and none signs it: block 1,
    // which is signed, vouches for it with its parent hash.
    if (!trust.genesisHeader) throw new VerifyError("the genesis header is unsigned and no signed block vouches for it yet (block 1 does)");
    if (!same(trust.genesisHeader, sh.hash)) throw new VerifyError("the genesis header is not the parent of the signed block 1");
    return h;
  }
  if (sig.length === 0) {
    throw new VerifyError(`header ${h.height}: unsigned (a CometBFT chain's validators sign commits, which this explorer does not check: use meshledger audit)`);
  }
  if (sig.length !== 65) throw new VerifyError(`header ${h.height}: signature of ${sig.length} bytes, want 65`);
  let signer;
  try {
    signer = recoverAddress(sh.hash, Signature.from({
      r: hexlify(sig.slice(0, 32)), s: hexlify(sig.slice(32, 64)), v: sig[64] < 27 ? 27 + sig[64] : sig[64],
    }));
  } catch (err) {
    throw new VerifyError(`header ${h.height}: bad signature: ${err.shortMessage ?? err.message}`);
  }
  if (!trust.trusts(signer)) throw new VerifyError(`header ${h.height}: signed by ${signer}, not a block signer you trust (${trust.signers.join(", ") || "none pinned"})`);
  return h;
}

const wrapProof = (what, fn) => {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProofError || err instanceof VerifyError) throw new VerifyError(`${what}: ${err.message}`);
    throw new VerifyError(`${what}: ${err.shortMessage ?? err.message}`);
  }
};

/**
 * checkState verifies a state proof against a signed header: returns the
 * proven {exists, value, entry}.
 */
export function checkState(proof, sh, trust, what = "state proof") {
  const h = checkHeader(sh, trust);
  return wrapProof(what, () => verifyStateProof(h.stateRoot, proof));
}

// Message fields of each transaction type, in EIP-712 order, as the block
// encoding lists them (docs/transactions.md, "Block encoding").
const txFields = {
  deploy: [["from", "address"], ["nonce", "uint64"], ["codeHash", "bytes32"], ["name", "string"], ["initArgs", "bytes"], ["gasLimit", "uint64"]],
  call: [["from", "address"], ["nonce", "uint64"], ["contract", "address"], ["method", "string"], ["args", "bytes"], ["gasLimit", "uint64"]],
  upgrade: [["from", "address"], ["nonce", "uint64"], ["contract", "address"], ["codeHash", "bytes32"], ["migrateArgs", "bytes"], ["gasLimit", "uint64"]],
};

/** txRLP is a wire-form transaction's block encoding [type, chainId, [fields], signature]. */
export function txRLP(tx) {
  const fields = txFields[tx.type];
  if (!fields) throw new VerifyError(`unknown transaction type ${tx.type}`);
  const enc = fields.map(([name, type]) => {
    const v = tx.message[name];
    if (type === "uint64") return rlpInt(v);
    if (type === "string") return hexlify(toUtf8Bytes(v));
    return hexlify(getBytes(v));
  });
  const sig = getBytes(tx.signature);
  const v = sig[64] < 27 ? sig[64] + 27 : sig[64];
  return encodeRlp([hexlify(toUtf8Bytes(tx.type)), rlpInt(tx.chainId), enc, hexlify(new Uint8Array([...sig.slice(0, 64), v]))]);
}

/** txHash is a wire-form transaction's EIP-712 digest, its hash. */
export function txHash(tx, chain) {
  const primary = chain.primaryTypes[tx.type];
  return TypedDataEncoder.hash(chain.domain, { [primary]: chain.types[primary] }, tx.message);
}

/**
 * decodeReceipt parses a receipt leaf (ledger/block.Receipt.Encode: its
 * fields in declaration order).
 */
export function decodeReceipt(leaf) {
  const r = decodeRlp(leaf);
  if (!Array.isArray(r) || r.length !== 10) throw new VerifyError("receipt leaf is not a 10-field receipt");
  const int = (h) => (h === "0x" ? 0 : Number(BigInt(h)));
  const utf8 = (h) => new TextDecoder().decode(getBytes(h));
  return {
    txHash: r[0], status: utf8(r[1]), message: utf8(r[2]), gasUsed: int(r[3]), return: r[4],
    contractAddress: r[5],
    events: r[6].map((e) => ({ contract: getAddress(e[0]), name: utf8(e[1]), data: e[2], audience: e[3].map(utf8) })),
    writes: r[7].map((w) => ({ contract: getAddress(w[0]), key: w[1], value: w[2], delete: w[3] === "0x01" })),
    height: int(r[8]), index: int(r[9]),
  };
}

/**
 * checkCommittedTx verifies a committed Tx (GET /v1/txs/{hash} or POST
 * ?wait=true): the header, the transaction's hash and inclusion under
 * txRoot, its receipt under receiptRoot (the receipt shown is the proven
 * one, compared with the JSON one), and every write proof under
 * stateRoot. Returns {header, receipt} as proven.
 */
export function checkCommittedTx(t, chain, trust) {
  const h = checkHeader(t.header, trust);
  if (!t.receipt) throw new VerifyError("no receipt served");
  const index = t.receipt.index;
  if (t.receipt.height !== h.height) throw new VerifyError(`receipt of block ${t.receipt.height}, header of block ${h.height}`);
  if (!same(txHash(t.tx, chain), t.hash)) throw new VerifyError("the transaction does not hash to its hash");
  const leaf = wrapProof("transaction proof", () => verifyProof(h.txRoot, indexKey(index), t.txProof ?? []));
  if (leaf === null || hexlify(leaf) !== txRLP(t.tx).toLowerCase()) throw new VerifyError(`another transaction is at index ${index} of block ${h.height}`);
  const rleaf = wrapProof("receipt proof", () => verifyProof(h.receiptRoot, indexKey(index), t.receiptProof ?? []));
  if (rleaf === null) throw new VerifyError(`no receipt at index ${index} of block ${h.height}`);
  const receipt = decodeReceipt(rleaf);
  if (!same(receipt.txHash, t.hash)) throw new VerifyError("the proven receipt is another transaction's");
  const j = t.receipt;
  if (receipt.status !== j.status || receipt.gasUsed !== j.gasUsed || !same(receipt.return, j.return ?? "0x")
    || receipt.events.length !== (j.events ?? []).length || receipt.writes.length !== (j.writes ?? []).length
    || !same(receipt.contractAddress, j.contractAddress ?? ZERO_ADDRESS) || receipt.message !== (j.message ?? "")) {
    throw new VerifyError("the receipt served differs from the proven receipt");
  }
  for (const [i, e] of (j.events ?? []).entries()) {
    const p = receipt.events[i];
    if (!same(p.contract, e.contract) || p.name !== e.name || !same(p.data, e.data ?? "0x")) throw new VerifyError(`event ${i} differs from the proven receipt`);
  }
  for (const [i, w] of (j.writes ?? []).entries()) {
    const p = receipt.writes[i];
    if (!same(p.contract, w.contract) || !same(p.key, w.key) || !same(p.value, w.value ?? "0x") || p.delete !== Boolean(w.delete)) {
      throw new VerifyError(`write ${i} differs from the proven receipt`);
    }
  }
  for (const [i, p] of (t.writeProofs ?? []).entries()) wrapProof(`write proof ${i}`, () => verifyStateProof(h.stateRoot, p));
  return { header: h, receipt };
}

/** checkQuery verifies a query response's header and the proof of every key it read. */
export function checkQuery(q, trust) {
  const h = checkHeader(q.header, trust);
  if (h.height !== q.height) throw new VerifyError(`query at height ${q.height} with header ${h.height}`);
  for (const [i, p] of (q.proofs ?? []).entries()) wrapProof(`read proof ${i}`, () => verifyStateProof(h.stateRoot, p));
  return h;
}

export { same, rlpInt };
