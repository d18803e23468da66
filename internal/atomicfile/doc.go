// Package atomicfile writes a file so that a crash leaves either the old
// file or the whole new one, never a part: keys, genesis files, cache
// metadata and checkpoints are read back by later runs that would
// otherwise fail on half a file or, worse, take it for a valid one.
package atomicfile
