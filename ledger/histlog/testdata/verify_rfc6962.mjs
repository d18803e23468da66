// An RFC 9162 (RFC 6962bis) log proof verifier written from the RFC's
// text alone (§2.1.3.2 inclusion, §2.1.4.2 consistency), SHA-256 from
// node's crypto, no npm module. It reads a JSON array of cases from the
// file named by its argument and prints [{name, ok, error}] as JSON.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (s) => Buffer.from(s.replace(/^0x/, ""), "hex");
const node = (l, r) => sha256(Buffer.from([1]), l, r);
const leafHash = (data) => sha256(Buffer.from([0]), data);

// §2.1.3.2: verifying an inclusion proof.
function verifyInclusion(index, size, leaf, path, root) {
  if (index >= size) throw new Error("index not below size");
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new Error("path too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = node(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = node(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("path too short");
  if (!r.equals(root)) throw new Error("root mismatch");
}

// §2.1.4.2: verifying a consistency proof (0 < first < second); equal
// sizes need an empty proof and equal roots, and every log extends the
// empty one.
function verifyConsistency(first, second, path, firstHash, secondHash) {
  if (first > second) throw new Error("first after second");
  if (first === second) {
    if (path.length !== 0) throw new Error("non-empty proof for equal sizes");
    if (!firstHash.equals(secondHash)) throw new Error("roots differ");
    return;
  }
  if (first === 0) {
    if (path.length !== 0) throw new Error("non-empty proof from the empty log");
    return;
  }
  if (path.length === 0) throw new Error("empty proof");
  path = path.slice();
  if ((first & (first - 1)) === 0) path.unshift(firstHash);
  let fn = BigInt(first) - 1n;
  let sn = BigInt(second) - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new Error("proof too long");
    if ((fn & 1n) === 1n || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      sr = node(sr, c);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("proof too short");
  if (!fr.equals(firstHash)) throw new Error("first root mismatch");
  if (!sr.equals(secondHash)) throw new Error("second root mismatch");
}

const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const out = cases.map((c) => {
  try {
    const path = c.hashes.map(hex);
    if (c.kind === "inclusion") {
      verifyInclusion(c.index, c.size, leafHash(hex(c.blockHash)), path, hex(c.root));
    } else {
      verifyConsistency(c.from, c.to, path, hex(c.fromRoot), hex(c.toRoot));
    }
    return { name: c.name, ok: true };
  } catch (e) {
    return { name: c.name, ok: false, error: String(e.message) };
  }
});
process.stdout.write(JSON.stringify(out));
