package runtime

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// mapDirectory is a Directory over a map, for tests.
type mapDirectory map[Address]Participant

func (d mapDirectory) Participant(a Address) (Participant, bool, error) {
	p, ok := d[a]
	return p, ok, nil
}

// failingDirectory is a Directory whose store cannot be read.
type failingDirectory struct{ err error }

func (d failingDirectory) Participant(Address) (Participant, bool, error) {
	return Participant{}, false, d.err
}

var (
	memberAddr = Address{0xaa, 1}
	memberInfo = Participant{Org: "bank", Roles: []string{"admin", "servicer"}}
)

func participantArgs(a Address, outCap int) string {
	return fmt.Sprintf("%s %d", hex.EncodeToString(a[:]), outCap)
}

// memberEncoding is memberInfo as the participant import encodes it.
const memberEncoding = "04000000" + "62616e6b" + "02000000" + "05000000" + "61646d696e" + "08000000" + "7365727669636572"

func TestParticipant(t *testing.T) {
	dir := mapDirectory{memberAddr: memberInfo}
	n := len(memberEncoding) / 2
	tests := []struct {
		name string
		dir  Directory
		args string
		want string
	}{
		{"member", dir, participantArgs(memberAddr, 64), fmt.Sprintf("%d %s%s", n, memberEncoding, strings.Repeat("ee", 64-n))},
		{"exact capacity", dir, participantArgs(memberAddr, n), fmt.Sprintf("%d %s", n, memberEncoding)},
		// Too small a buffer: the length is reported and nothing copied.
		{"buffer too small", dir, participantArgs(memberAddr, n-1), fmt.Sprintf("%d %s", n, strings.Repeat("ee", n-1))},
		{"zero capacity", dir, participantArgs(memberAddr, 0), fmt.Sprintf("%d ", n)},
		{"not a member", dir, participantArgs(Address{0xbb}, 64), "-1 " + strings.Repeat("ee", 64)},
		{"no directory", nil, participantArgs(memberAddr, 64), "-1 " + strings.Repeat("ee", 64)},
		{"member without roles", mapDirectory{memberAddr: {Org: "x"}}, participantArgs(memberAddr, 13), "9 010000007800000000" + "eeeeeeee"},
	}
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		for _, tc := range tests {
			t.Run(engineName(e)+"/"+tc.name, func(t *testing.T) {
				env := testEnv()
				env.Directory = tc.dir
				res := mustCall(t, m, env, "participant", tc.args, newMemState())
				if !res.OK() || string(res.Return) != tc.want {
					t.Fatalf("participant = %s %q %q, want ok %q", res.Code, res.Message, res.Return, tc.want)
				}
			})
		}
	}
}

func TestParticipantDirectoryFailureIsAHostError(t *testing.T) {
	boom := errors.New("disk on fire")
	env := testEnv()
	env.Directory = failingDirectory{boom}
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		_, err := m.Call(context.Background(), env, "participant", []byte(participantArgs(memberAddr, 64)), newMemState())
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "participant lookup") {
			t.Fatalf("%s: err = %v, want the directory's error wrapped", engineName(e), err)
		}
	}
}

// perHostCall is the gas of one call of a host import in the raw guest's
// hostloop, measured as the difference between 100 calls and none, so
// the guest's own fixed work cancels out. The loop's own instructions
// remain, a few gas per iteration.
func perHostCall(t *testing.T, m *Module, env Env, fn string, size int) uint64 {
	t.Helper()
	run := func(n int) uint64 {
		res := mustCall(t, m, env, "hostloop", fmt.Sprintf("%s %d %d", fn, n, size), newMemState())
		if !res.OK() {
			t.Fatalf("hostloop %s: %s %s", fn, res.Code, res.Message)
		}
		return res.GasUsed
	}
	return (run(100) - run(0)) / 100
}

// loopSlack bounds how much more gas hostloop's own loop spends per
// iteration around an import with arguments than around method_len's.
const loopSlack = 80

// loopGas is the gas of one iteration of hostloop beyond the import it
// calls, from the cheapest import, method_len.
func loopGas(t *testing.T, m *Module, env Env) uint64 {
	return perHostCall(t, m, env, "method_len", 0) - gasHostBase
}

func TestParticipantGas(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	env := testEnv()
	env.GasLimit = 1 << 30
	base := loopGas(t, m, env) + gasHostBase + gasParticipant + bytesGas(20)
	if got := perHostCall(t, m, env, "participant", 0); got < base || got > base+loopSlack {
		t.Fatalf("an absent address costs %d, want %d", got, base)
	}
	env.Directory = mapDirectory{env.Caller: memberInfo}
	want := base + bytesGas(len(memberEncoding)/2)
	if got := perHostCall(t, m, env, "participant", 0); got < want || got > want+loopSlack {
		t.Fatalf("a member costs %d, want %d", got, want)
	}
	env.GasLimit = 1000 // less than the import's own price
	res := mustCall(t, m, env, "participant", participantArgs(memberAddr, 64), newMemState())
	if res.Code != CodeOutOfGas {
		t.Fatalf("code %s, want out_of_gas", res.Code)
	}
}

// TestEmitToGas: an audience costs its bytes like the event's own, and a
// fixed amount per entry (hostloop's audience has four, 69 bytes).
func TestEmitToGas(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	env := testEnv()
	env.GasLimit = 1 << 30
	want := loopGas(t, m, env) + gasHostBase + gasEmit + eventBytesGas(len("ev")+32+69) + 4*gasAudienceEntry
	if got := perHostCall(t, m, env, "emit_to", 32); got < want || got > want+loopSlack {
		t.Fatalf("emit_to costs %d, want %d", got, want)
	}
}

func TestEmitTo(t *testing.T) {
	addr := "0x" + strings.Repeat("ab", 20)
	tests := []struct {
		name     string
		audience string
		want     []string
		wantCode Code
		wantMsg  string
	}{
		{name: "empty audience", audience: "", want: nil, wantCode: CodeOK},
		{name: "every kind", audience: addr + "\norg:bank-2\nrole:home_owner\nmembers",
			want: []string{addr, "org:bank-2", "role:home_owner", "members"}, wantCode: CodeOK},
		{name: "order kept", audience: "members\n" + addr, want: []string{"members", addr}, wantCode: CodeOK},
		{name: "sixteen entries", audience: strings.TrimSuffix(strings.Repeat("members\n", 16), "\n"),
			want: slices.Repeat([]string{"members"}, 16), wantCode: CodeOK},
		{name: "longest names", audience: "org:" + strings.Repeat("a", 32) + "\nrole:" + strings.Repeat("r", 32),
			want: []string{"org:" + strings.Repeat("a", 32), "role:" + strings.Repeat("r", 32)}, wantCode: CodeOK},
		{name: "seventeen entries", audience: strings.TrimSuffix(strings.Repeat("members\n", 17), "\n"),
			wantCode: CodeBadAudience, wantMsg: "audience of 17 entries exceeds 16"},
		{name: "too many bytes", audience: strings.Repeat("m", maxAudienceBytes+1),
			wantCode: CodeBadAudience, wantMsg: "audience of 688 bytes exceeds 687"},
		{name: "upper-case address", audience: "0x" + strings.Repeat("AB", 20), wantCode: CodeBadAudience, wantMsg: "audience entry 1: address"},
		{name: "short address", audience: "0xabcd", wantCode: CodeBadAudience, wantMsg: "audience entry 1: address"},
		{name: "empty entry", audience: "members\n\norg:a", wantCode: CodeBadAudience, wantMsg: "audience entry 2: empty entry"},
		{name: "trailing newline", audience: "members\n", wantCode: CodeBadAudience, wantMsg: "audience entry 2: empty entry"},
		{name: "org upper case", audience: "org:Bank", wantCode: CodeBadAudience, wantMsg: `org "Bank" must match`},
		{name: "org leading dash", audience: "org:-a", wantCode: CodeBadAudience, wantMsg: "org"},
		{name: "org empty", audience: "org:", wantCode: CodeBadAudience, wantMsg: "org"},
		{name: "org too long", audience: "org:" + strings.Repeat("a", 33), wantCode: CodeBadAudience, wantMsg: "org"},
		{name: "role leading digit", audience: "role:1x", wantCode: CodeBadAudience, wantMsg: `role "1x" must match`},
		{name: "role with space", audience: "role:a b", wantCode: CodeBadAudience, wantMsg: "role"},
		{name: "unknown kind", audience: "everyone", wantCode: CodeBadAudience, wantMsg: `"everyone" is not 0x<address>`},
	}
	for _, e := range []Engine{EngineCompiler, EngineInterpreter} {
		m := rawModule(t, e)
		for _, tc := range tests {
			t.Run(engineName(e)+"/"+tc.name, func(t *testing.T) {
				res := mustCall(t, m, testEnv(), "emit_to", "ev|{}|"+tc.audience, newMemState())
				if res.Code != tc.wantCode || !strings.Contains(res.Message, tc.wantMsg) {
					t.Fatalf("emit_to: %s %q, want %s containing %q", res.Code, res.Message, tc.wantCode, tc.wantMsg)
				}
				if !res.OK() {
					if len(res.Events) != 0 {
						t.Fatalf("failed call kept events %+v", res.Events)
					}
					return
				}
				if len(res.Events) != 1 || res.Events[0].Name != "ev" || string(res.Events[0].Data) != "{}" || !slices.Equal(res.Events[0].Audience, tc.want) {
					t.Fatalf("events = %+v, want one ev {} to %q", res.Events, tc.want)
				}
			})
		}
	}
}

// TestEmitToAudienceCountsTowardEventBytes: the audience is part of the
// event's size, so an event that fits alone fails with its audience.
func TestEmitToAudienceCountsTowardEventBytes(t *testing.T) {
	m := rawModule(t, EngineCompiler)
	limit := DefaultLimits().MaxEventBytes
	data := strings.Repeat("d", limit-len("ev")-len("members"))
	env := testEnv()
	env.GasLimit = 1 << 30
	if res := mustCall(t, m, env, "emit_to", "ev|"+data+"|members", newMemState()); !res.OK() {
		t.Fatalf("event of exactly %d bytes: %s %s", limit, res.Code, res.Message)
	}
	res := mustCall(t, m, env, "emit_to", "ev|"+data+"d|members", newMemState())
	if res.Code != CodeEventLimit {
		t.Fatalf("event of %d bytes: %s %s, want event_limit", limit+1, res.Code, res.Message)
	}
}
