package httpapi

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/labstack/echo/v4"

	"github.com/meshledger/meshledger/ledger"
	"github.com/meshledger/meshledger/sdk/api"
)

// Parameter parsing: each returns an error wrapping ErrBadRequest (or a
// more specific request error) that names the parameter.

func parseAddress(name, s string) (common.Address, error) {
	if !common.IsHexAddress(s) || !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return common.Address{}, fmt.Errorf("%w: %s: want 0x and 40 hex digits, got %q", ErrBadRequest, name, s)
	}
	return common.HexToAddress(s), nil
}

func parseHash(name, s string) (common.Hash, error) {
	b, err := hexutil.Decode(s)
	if err != nil || len(b) != common.HashLength {
		return common.Hash{}, fmt.Errorf("%w: %s: want 0x and 64 hex digits, got %q", ErrBadRequest, name, s)
	}
	return common.BytesToHash(b), nil
}

func parseUint(name, s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: want a decimal integer, got %q", ErrBadRequest, name, s)
	}
	return v, nil
}

// parseBool accepts the forms strconv.ParseBool does; an empty value is
// false.
func parseBool(name, s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%w: %s: want true or false, got %q", ErrBadRequest, name, s)
	}
	return v, nil
}

// parseTimeout accepts a Go duration ("5s", "1500ms") or whole seconds.
func parseTimeout(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%w: %s: want a duration (5s) or seconds, got %q", ErrBadRequest, api.ParamTimeout, s)
	}
	return d, nil
}

// pathKey returns a contract key given in the path after marker
// ("/state/", "/history/"), or by the key_hex query parameter, which wins.
// The key is unescaped from the request's escaped path, not from the
// router's parameter, so that every byte (including %2F) survives.
func pathKey(c echo.Context, marker string) ([]byte, error) {
	if kh := c.QueryParam(api.ParamKeyHex); kh != "" {
		b, err := hexutil.Decode(kh)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadRequest, api.ParamKeyHex, err)
		}
		return b, nil
	}
	escaped := c.Request().URL.EscapedPath()
	i := strings.Index(escaped, marker)
	if i < 0 {
		return nil, fmt.Errorf("%w: no key in path", ErrBadRequest)
	}
	k, err := url.PathUnescape(escaped[i+len(marker):])
	if err != nil {
		return nil, fmt.Errorf("%w: key: %v", ErrBadRequest, err)
	}
	if k == "" {
		return nil, fmt.Errorf("%w: empty key", ErrBadRequest)
	}
	return []byte(k), nil
}

// heightParam returns the height query parameter, or latest when absent,
// refusing heights not yet committed.
func heightParam(c echo.Context, latest uint64) (uint64, error) {
	hs := c.QueryParam(api.ParamHeight)
	if hs == "" {
		return latest, nil
	}
	h, err := parseUint(api.ParamHeight, hs)
	if err != nil {
		return 0, err
	}
	if h > latest {
		return 0, fmt.Errorf("%w: height %d, latest %d", ErrHeightUnavailable, h, latest)
	}
	return h, nil
}

// History cursors travel as "height.index": opaque to clients, but plain
// enough to read in a log.
func formatCursor(c ledger.Cursor) string { return fmt.Sprintf("%d.%d", c.Height, c.Index) }

func parseCursor(s string) (ledger.Cursor, error) {
	if s == "" {
		return ledger.Cursor{}, nil
	}
	hs, is, ok := strings.Cut(s, ".")
	h, err1 := strconv.ParseUint(hs, 10, 64)
	i, err2 := strconv.ParseUint(is, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return ledger.Cursor{}, fmt.Errorf("%w: %q", ErrBadCursor, s)
	}
	return ledger.Cursor{Height: h, Index: uint32(i)}, nil
}
