// Command ok is the smallest module that builds.
package main

func main() {}

//go:wasmexport ping
func ping() int32 { return 1 }
