package wasm

import "fmt"

// ErrKind classifies why a module was rejected at deploy. Callers branch on
// it (and may surface it to users), so the values are stable.
type ErrKind string

// Rejection kinds.
const (
	KindMalformed        ErrKind = "malformed"
	KindCodeTooLarge     ErrKind = "code_too_large"
	KindForbiddenImport  ErrKind = "forbidden_import"
	KindMissingExport    ErrKind = "missing_export"
	KindLimit            ErrKind = "limit"
	KindForbiddenFeature ErrKind = "forbidden_feature"
)

// ValidationError is returned for every module Prepare rejects. Msg names
// the offending item (section, function index, byte offset, import or export
// name) so that a contract author can find it.
type ValidationError struct {
	Kind ErrKind
	Msg  string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("wasm: %s: %s", e.Kind, e.Msg)
}

func errorf(kind ErrKind, format string, args ...any) *ValidationError {
	return &ValidationError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

func malformed(format string, args ...any) *ValidationError {
	return errorf(KindMalformed, format, args...)
}
