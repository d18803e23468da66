//go:build !unix

package atomicfile

// Directory handles cannot be synced outside Unix; Sync's error is ignored there.
func isEINVAL(error) bool { return true }
