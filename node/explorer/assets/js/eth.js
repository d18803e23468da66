// The one import of the vendored ethers bundle: every other module takes
// what it needs from here, so an upgrade changes one line.
export {
  BrowserProvider, Signature, TypedDataEncoder, Wallet, concat, decodeRlp, encodeRlp, getAddress,
  getBytes, getCreateAddress, hexlify, keccak256, recoverAddress, toBeArray, toUtf8Bytes, toUtf8String,
} from "../vendor/ethers-6.17.0.min.js";
