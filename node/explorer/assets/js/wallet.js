// The signed-in key: generated, imported (hex or keystore JSON) or an
// injected EIP-1193 wallet. A raw key is kept in memory and in
// sessionStorage (this tab only, gone when it closes); it is never sent
// anywhere. It signs read sessions and transactions exactly as the Go
// client and ethers do (docs/transactions.md).
import { BrowserProvider, TypedDataEncoder, Wallet, getAddress } from "./eth.js";

const KEY_STORE = "meshledger.key";
const SESSION_STORE = "meshledger.session";
const SESSION_MS = 3600_000; // one hour, as the Go client
const SESSION_BACKDATE_MS = 5000; // absorbs a node clock slightly behind

/** Signer wraps an ethers signer with the chain's EIP-712 description. */
export class Signer {
  constructor(signer, address, kind, chain) {
    this.signer = signer;
    this.address = getAddress(address);
    this.kind = kind; // "key" or "wallet"
    this.chain = chain;
    this.session = null; // {header, issuedMs, expiresMs}
  }

  /** sessionHeader returns the Authorization value, signing a new session when 80% of the last has passed. */
  async sessionHeader() {
    const now = Date.now();
    if (!this.session) {
      try {
        const s = JSON.parse(sessionStorage.getItem(SESSION_STORE) ?? "null");
        if (s && s.reader === this.address && s.chainId === this.chain.domain.chainId) this.session = s;
      } catch { /* none kept */ }
    }
    const s = this.session;
    if (s && now < s.issuedMs + (s.expiresMs - s.issuedMs) * 0.8) return s.header;
    if (!this.pending) {
      this.pending = this.signSession(now).finally(() => { this.pending = null; });
    }
    return (await this.pending).header;
  }

  async signSession(now) {
    const msg = { reader: this.address, issuedMs: String(now - SESSION_BACKDATE_MS), expiresMs: String(now + SESSION_MS) };
    const signature = await this.signer.signTypedData(this.chain.domain, { ReadSession: this.chain.types.ReadSession }, msg);
    const header = `MeshSession ${this.address.toLowerCase()}.${msg.issuedMs}.${msg.expiresMs}.${signature}`;
    this.session = { header, issuedMs: Number(msg.issuedMs), expiresMs: Number(msg.expiresMs), reader: this.address, chainId: this.chain.domain.chainId };
    try {
      sessionStorage.setItem(SESSION_STORE, JSON.stringify(this.session));
    } catch { /* keep it in memory only */ }
    return this.session;
  }

  /**
   * signTx signs a transaction message of type ("deploy", "call",
   * "upgrade") and returns its wire form and hash.
   */
  async signTx(type, message, code) {
    const primary = this.chain.primaryTypes[type];
    const types = { [primary]: this.chain.types[primary] };
    const signature = await this.signer.signTypedData(this.chain.domain, types, message);
    const tx = { type, chainId: this.chain.domain.chainId, message, signature };
    if (code) tx.code = code;
    return { tx, hash: TypedDataEncoder.hash(this.chain.domain, types, message) };
  }
}

const fromKey = (wallet, chain, remember) => {
  if (remember) {
    try {
      sessionStorage.setItem(KEY_STORE, wallet.privateKey);
    } catch { /* memory only */ }
  }
  return new Signer(wallet, wallet.address, "key", chain);
};

/** generateKey makes a fresh secp256k1 key in the browser. */
export const generateKey = (chain) => fromKey(Wallet.createRandom(), chain, true);

/** importHex takes a 0x-hex (or bare hex) private key. */
export function importHex(hex, chain) {
  const h = hex.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(h)) throw new Error("a private key is 64 hex digits (32 bytes), with or without 0x");
  let w;
  try {
    w = new Wallet("0x" + h);
  } catch (err) {
    throw new Error(`not a valid secp256k1 key: ${err.shortMessage ?? err.message}`);
  }
  return fromKey(w, chain, true);
}

/** importKeystore decrypts a keystore JSON (Web3 Secret Storage) with its password. */
export async function importKeystore(json, password, chain) {
  let w;
  try {
    w = await Wallet.fromEncryptedJson(json, password);
  } catch (err) {
    throw new Error(`cannot decrypt the keystore: ${err.shortMessage ?? err.message}`);
  }
  return fromKey(new Wallet(w.privateKey), chain, true);
}

/** connectWallet asks the injected EIP-1193 wallet for an account. */
export async function connectWallet(chain) {
  if (!globalThis.ethereum) throw new Error("no browser wallet found");
  forget(); // a key kept from before must not come back on reload
  const provider = new BrowserProvider(globalThis.ethereum);
  const signer = await provider.getSigner();
  return new Signer(signer, await signer.getAddress(), "wallet", chain);
}

/** restore returns the key kept in this tab, if any. */
export function restore(chain) {
  try {
    const k = sessionStorage.getItem(KEY_STORE);
    return k ? fromKey(new Wallet(k), chain, false) : null;
  } catch {
    return null;
  }
}

/** forget drops the kept key and session. */
export function forget() {
  try {
    sessionStorage.removeItem(KEY_STORE);
    sessionStorage.removeItem(SESSION_STORE);
  } catch { /* nothing kept */ }
}
