package build

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/meshledger/meshledger/sdk/manifest"
)

// SDKPackage is the contract SDK's import path. Only a package that
// imports it (directly or through its own packages) gets a manifest: a
// module written against the raw ABI has no registry to describe.
const SDKPackage = "github.com/meshledger/meshledger/sdk/contract"

// manifestFile is the name of the file added to a contract's package, for
// one native run, through the go command's -overlay: nothing is written
// to the source tree. Its name sorts after any ordinary file name, so its
// init runs after every other init of the package (the go command hands
// files to the compiler sorted by name, and init functions run in that
// order), when every method, event and state record is registered. A
// package with a file sorting after it is refused rather than described
// without what that file registers.
const manifestFile = "zzzzzzzz_meshledger_manifest.go"

const manifestSource = `package main

import (
	"fmt"
	"os"

	meshledgercontract "` + SDKPackage + `"
)

func init() {
	if err := meshledgercontract.WriteManifestFile(os.Args[len(os.Args)-1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}
`

// Manifest generates the manifest of the contract in pkgDir: it builds
// the package natively with one file added by -overlay whose init writes
// contract.BuildManifest's document and exits before main, and runs it
// (for at most a minute: an init that never ends fails the build). The
// schemas therefore come from the same Go types the Wasm build decodes
// arguments into, and the generator is never compiled into the module.
//
// It returns false, and no error, when the package does not depend on
// SDKPackage. The document is parsed back with manifest.Parse before it
// is returned, so the builder never embeds one that Parse refuses.
func Manifest(ctx context.Context, pkgDir string) ([]byte, bool, error) {
	goCmd, err := goCommand()
	if err != nil {
		return nil, false, err
	}
	dir, err := filepath.Abs(pkgDir)
	if err != nil {
		return nil, false, fmt.Errorf("build: package path %q: %w", pkgDir, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, false, &Error{Pkg: pkgDir, Err: fmt.Errorf("not a package directory")}
	}
	uses, err := dependsOnSDK(ctx, goCmd, pkgDir, dir)
	if err != nil || !uses {
		return nil, false, err
	}

	tmp, err := os.MkdirTemp("", "meshledger-manifest-")
	if err != nil {
		return nil, false, fmt.Errorf("build: manifest: %w", err)
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, manifestFile)
	if err := os.WriteFile(src, []byte(manifestSource), 0o644); err != nil {
		return nil, false, fmt.Errorf("build: manifest: %w", err)
	}
	overlay, err := json.Marshal(map[string]map[string]string{
		"Replace": {filepath.Join(dir, manifestFile): src},
	})
	if err != nil {
		return nil, false, fmt.Errorf("build: manifest: %w", err)
	}
	overlayPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayPath, overlay, 0o644); err != nil {
		return nil, false, fmt.Errorf("build: manifest: %w", err)
	}
	outPath := filepath.Join(tmp, "manifest.json")

	bin := filepath.Join(tmp, "manifestgen")
	// The native build is for the machine building, whatever the
	// caller's environment targets.
	build := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-overlay", overlayPath, "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOOS=", "GOARCH=", "CGO_ENABLED=0")
	if output, err := runCommand(ctx, build); err != nil {
		return nil, false, &Error{Pkg: pkgDir, Output: output, Err: fmt.Errorf("generate manifest: build natively: %w", err)}
	}
	// Compiling may take long; running only initialises the package, so
	// an init that never ends is cut off rather than hanging the build.
	runCtx, cancel := context.WithTimeout(ctx, manifestRunTimeout)
	defer cancel()
	run := exec.CommandContext(runCtx, bin, outPath)
	run.Dir = dir
	output, err := runCommand(runCtx, run)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = fmt.Errorf("the package's initialisation did not finish within %v", manifestRunTimeout)
		}
		return nil, false, &Error{Pkg: pkgDir, Output: output, Err: fmt.Errorf("generate manifest: %w", err)}
	}
	b, err := os.ReadFile(outPath)
	if err != nil {
		return nil, false, &Error{Pkg: pkgDir, Output: output, Err: fmt.Errorf("generate manifest: %w", err)}
	}
	if _, err := manifest.Parse(b); err != nil {
		return nil, false, &Error{Pkg: pkgDir, Err: fmt.Errorf("generated manifest: %w", err)}
	}
	return b, true, nil
}

// manifestRunTimeout bounds the native run that writes the manifest: a
// contract's initialisation takes milliseconds, so a minute means it never
// ends. A variable only so that the test of that case is quick.
var manifestRunTimeout = time.Minute

// runCommand runs cmd and returns its combined output; when ctx ended,
// the error is ctx's.
func runCommand(ctx context.Context, cmd *exec.Cmd) (string, error) {
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	err := cmd.Run()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
	}
	return output.String(), err
}

// dependsOnSDK tells whether the package's Wasm build depends on
// SDKPackage, and refuses a package in which a file would initialise after
// the manifest's.
func dependsOnSDK(ctx context.Context, goCmd, pkgDir, dir string) (bool, error) {
	cmd := exec.CommandContext(ctx, goCmd, "list", "-f", `{{join .GoFiles "\n"}}{{"\n--\n"}}{{join .Deps "\n"}}`, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return false, &Error{Pkg: pkgDir, Output: stderr.String(), Err: fmt.Errorf("list imports: %w", err)}
	}
	files, deps, _ := strings.Cut(stdout.String(), "\n--\n")
	uses := false
	for _, imp := range strings.Split(deps, "\n") {
		if strings.TrimSpace(imp) == SDKPackage {
			uses = true
		}
	}
	if !uses {
		return false, nil
	}
	for _, f := range strings.Split(files, "\n") {
		if f = strings.TrimSpace(f); f >= manifestFile {
			return false, &Error{Pkg: pkgDir, Err: fmt.Errorf("file %s sorts after %s, so its init would run after the manifest is generated: rename it", f, manifestFile)}
		}
	}
	return true, nil
}
