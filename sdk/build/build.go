package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/meshledger/meshledger/sdk/manifest"
)

// Error is a failed build; Output holds the go command's output (compiler
// errors), which is what a contract author needs to see.
type Error struct {
	Pkg    string
	Output string
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("build contract %s: %v\n%s", e.Pkg, e.Err, strings.TrimSpace(e.Output))
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNoGo means no go command was found in PATH or GOROOT.
var ErrNoGo = errors.New("build: go command not found")

// Flags are the go build flags every contract is built with, after
// "go build". c-shared makes a reactor (exports _initialize, never runs
// main); -trimpath keeps local paths out of the module so the same source
// gives the same bytes on every machine.
var Flags = []string{"-buildmode=c-shared", "-trimpath"}

// Contract builds the Go main package in pkgDir to a Wasm module at
// outFile (GOOS=wasip1 GOARCH=wasm) and, when the package uses the
// contract SDK, embeds the manifest Manifest generates as the module's
// manifest.SectionName custom section. pkgDir must be inside a module.
// The build is cancelled with ctx. outFile is written only once the whole
// build succeeded.
func Contract(ctx context.Context, pkgDir, outFile string) error {
	goCmd, err := goCommand()
	if err != nil {
		return err
	}
	out, err := filepath.Abs(outFile)
	if err != nil {
		return fmt.Errorf("build: output path %q: %w", outFile, err)
	}
	if fi, err := os.Stat(pkgDir); err != nil || !fi.IsDir() {
		return &Error{Pkg: pkgDir, Err: fmt.Errorf("not a package directory")}
	}
	tmp, err := os.MkdirTemp("", "meshledger-build-")
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(tmp)
	module := filepath.Join(tmp, "contract.wasm")
	args := append([]string{"build"}, Flags...)
	args = append(args, "-o", module, ".")
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return &Error{Pkg: pkgDir, Output: output.String(), Err: err}
	}
	wasm, err := os.ReadFile(module)
	if err != nil {
		return fmt.Errorf("build: read module: %w", err)
	}
	doc, ok, err := Manifest(ctx, pkgDir)
	if err != nil {
		return err
	}
	if ok {
		if wasm, err = manifest.Embed(wasm, doc); err != nil {
			return &Error{Pkg: pkgDir, Err: err}
		}
	}
	return writeFile(out, wasm)
}

// writeFile writes b to path through a temporary file in the same
// directory and a rename, so a reader never sees a partial module.
func writeFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".wasm-*")
	if err != nil {
		return fmt.Errorf("build: write %s: %w", path, err)
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(f.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("build: write %s: %w", path, werr)
	}
	return nil
}

// goCommand prefers the go in PATH, falling back to the toolchain that
// built this binary.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", ErrNoGo
}
