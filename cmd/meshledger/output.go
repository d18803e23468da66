package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/meshledger/meshledger/sdk/api"
)

// printJSON writes v as indented JSON: the --json output, meant for
// scripts (jq), so it is the API's own wire form.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// kv is an ordered list of label/value pairs printed as aligned columns.
type kv [][2]string

func (k *kv) add(label, value string) { *k = append(*k, [2]string{label, value}) }

func (k kv) print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range k {
		fmt.Fprintf(tw, "%s:\t%s\n", p[0], p[1])
	}
	return tw.Flush()
}

// showBytes renders stored bytes for people: compact JSON when they are
// JSON, a quoted string when they are printable text, else 0x-hex.
func showBytes(b []byte) string {
	if len(b) == 0 {
		return `""`
	}
	if json.Valid(b) {
		var buf bytes.Buffer
		if json.Compact(&buf, b) == nil {
			return buf.String()
		}
	}
	if utf8.Valid(b) && strings.IndexFunc(string(b), func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return fmt.Sprintf("%q", b)
	}
	return hexutil.Encode(b)
}

// showTime renders a block time in Unix milliseconds as UTC.
func showTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// printReceipt prints a transaction record for people.
func printTxRecord(w io.Writer, t *api.Tx) error {
	var k kv
	k.add("hash", t.Hash.Hex())
	k.add("status", string(t.Status))
	if t.Sender != nil {
		k.add("sender", t.Sender.Hex())
	}
	if t.Error != nil {
		k.add("error", fmt.Sprintf("%s: %s", t.Error.Code, t.Error.Message))
	}
	if r := t.Receipt; r != nil {
		k.add("block", fmt.Sprintf("%d (index %d)", r.Height, r.Index))
		if t.Header != nil {
			k.add("block time", showTime(t.Header.Header.TimeMs))
		}
		result := string(r.Status)
		if r.Message != "" {
			result += ": " + r.Message
		}
		k.add("result", result)
		k.add("gas used", fmt.Sprint(r.GasUsed))
		if r.ContractAddress != nil {
			k.add("contract", r.ContractAddress.Hex())
		}
		if len(r.Return) > 0 {
			k.add("return", showBytes(r.Return))
		}
		for _, e := range r.Events {
			k.add("event", fmt.Sprintf("%s %s", e.Name, showBytes(e.Data)))
		}
		for _, wr := range r.Writes {
			if wr.Delete {
				k.add("delete", showBytes(wr.Key))
			} else {
				k.add("write", fmt.Sprintf("%s = %s", showBytes(wr.Key), showBytes(wr.Value)))
			}
		}
	}
	return k.print(w)
}

// printHeader prints a signed header for people.
func headerKV(k *kv, h *api.SignedHeader) {
	k.add("height", fmt.Sprint(h.Header.Height))
	k.add("hash", h.Hash.Hex())
	k.add("parent", h.Header.ParentHash.Hex())
	k.add("time", showTime(h.Header.TimeMs))
	k.add("proposer", h.Header.Proposer.Hex())
	k.add("state root", h.Header.StateRoot.Hex())
	k.add("tx root", h.Header.TxRoot.Hex())
	k.add("receipt root", h.Header.ReceiptRoot.Hex())
}
