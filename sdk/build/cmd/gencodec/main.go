// Command gencodec writes generated JSON codecs for contract types (see
// package sdk/build/gencodec). Run it from go generate in the package that
// declares the types:
//
//	//go:generate go run github.com/meshledger/meshledger/sdk/build/cmd/gencodec -type Loan,Payment
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/meshledger/meshledger/sdk/build/gencodec"
)

func main() {
	typeList := flag.String("type", "", "comma-separated names of the struct types to generate codecs for")
	output := flag.String("o", "", "output file (default <package>_codec.go in the package directory)")
	dir := flag.String("dir", ".", "package directory")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: gencodec -type T1,T2 [-o file] [-dir dir]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *typeList == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*dir, strings.Split(*typeList, ","), *output); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir string, typeNames []string, output string) error {
	if output == "" {
		name := os.Getenv("GOPACKAGE")
		if name == "" {
			name = filepath.Base(mustAbs(dir))
		}
		output = filepath.Join(dir, gencodec.OutputName(name))
	}
	src, err := gencodec.Generate(dir, typeNames, output)
	if err != nil {
		return err
	}
	if err := os.WriteFile(output, src, 0o644); err != nil {
		return fmt.Errorf("gencodec: %w", err)
	}
	return nil
}

func mustAbs(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	return abs
}
