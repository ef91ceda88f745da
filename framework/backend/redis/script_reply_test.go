package redis

import (
	"reflect"
	"testing"
	"time"

	"github.com/hadeframe/hade/framework/contract"
)

// A claim entry renders the claim's six ARGV values; a release entry renders "release", the holder and
// the tick, padded to six (claim.lua's wire format).
func TestScriptEntryArgs(t *testing.T) {
	tick := time.UnixMicro(1_700_000_000_000_001)
	c := contract.Claim{Service: "svc", AppID: "app", Tick: tick, HoldTime: 2 * time.Second, Definition: "def",
		LiveUntil: tick.Add(time.Minute), RunLease: 3 * time.Second}
	claimArgs := scriptEntry{kind: claimEntry, claim: c}.appendArgs(nil)
	want := []any{"1700000000000001", "app", int64(2_000_000), "def", "1700000060000001", int64(3_000_000)}
	if !reflect.DeepEqual(claimArgs, want) {
		t.Fatalf("claim ARGV = %#v, want %#v", claimArgs, want)
	}
	lease := contract.RunLease{Service: "svc", Holder: "app", Tick: tick}
	releaseArgs := scriptEntry{kind: releaseEntry, lease: lease}.appendArgs(claimArgs)
	want = append(want, "release", "app", "1700000000000001", "", "0", 0)
	if !reflect.DeepEqual(releaseArgs, want) {
		t.Fatalf("claim and release ARGV = %#v, want %#v", releaseArgs, want)
	}
}

// Each code of the claim script decodes into its fields; a pair not of its code's shape is an error.
func TestDecodeScriptReply(t *testing.T) {
	tick := time.UnixMicro(1_700_000_000_000_001)
	cases := []struct {
		code, value any
		want        scriptReply
		wantErr     bool
	}{
		{int64(0), []any{"app", "1700000000000001", "", ""}, scriptReply{code: codeWon, holder: "app", previous: tick}, false},
		{int64(0), []any{"app", "", "other", "1700000000000001"},
			scriptReply{code: codeWon, holder: "app", busy: contract.RunLease{Holder: "other", Tick: tick}}, false},
		{int64(1), "other", scriptReply{code: codeHeld, holder: "other"}, false},
		{int64(2), "1700000000000001", scriptReply{code: codeOlder, text: "1700000000000001"}, false},
		{int64(3), "1700000000000001", scriptReply{code: codeOutsideWindow, text: "1700000000000001"}, false},
		{int64(4), "WRONGTYPE", scriptReply{code: codeFailed, text: "WRONGTYPE"}, false},
		{int64(5), []any{"winner", "def", "1700000000000001"},
			scriptReply{code: codeConflict, holder: "winner", definition: "def", liveUntil: tick}, false},
		{int64(6), int64(1), scriptReply{code: codeReleased, released: true}, false},
		{int64(6), int64(0), scriptReply{code: codeReleased}, false},
		{"0", "app", scriptReply{}, true},
		{int64(0), "app", scriptReply{}, true},
		{int64(5), []any{"winner", "def", "soon"}, scriptReply{}, true},
		{int64(6), "1", scriptReply{}, true},
		{int64(7), "", scriptReply{}, true},
	}
	for _, c := range cases {
		got, err := decodeScriptReply(c.code, c.value)
		if (err != nil) != c.wantErr || !reflect.DeepEqual(got, c.want) {
			t.Errorf("decode(%#v, %#v) = %+v, %v; want %+v (error: %v)", c.code, c.value, got, err, c.want, c.wantErr)
		}
	}
}
