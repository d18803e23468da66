// Package keyfile writes key files for package client and its keystore
// subpackage, so that both formats (hex and encrypted JSON) are written
// the same careful way.
//
// Guarantees: a key file is created with mode 0600 and never replaces an
// existing file (losing a key by accident is unrecoverable); a failed write
// leaves no partial file behind.
//
// This package must never read, log or interpret key material: it only
// puts bytes on disk.
package keyfile
