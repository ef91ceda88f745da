//go:build hadesabotage

// TEST ONLY. Built with -tags hadesabotage, the claim script forgets the fence's tick, as the local backend
// does in rules.Fence.Claim and the etcd transaction (claimOp) does, so ticks can be won twice:
// cmd/hadeverify --sabotage fence uses it. Never build a real binary with this tag.

package redis

import "strings"

func init() {
	const read = "local fence_tick = tonumber(fence[1])"
	if !strings.Contains(claimScript, read) {
		panic("hadesabotage: claim.lua no longer reads the fence as expected")
	}
	claimScript = strings.Replace(claimScript, read, "local fence_tick = nil", 1)
}
