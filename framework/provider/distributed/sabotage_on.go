//go:build hadesabotage

// TEST ONLY. Built with -tags hadesabotage, the backends skip the fence comparison, so ticks can be won
// twice: cmd/hadeverify --sabotage fence uses it to show that its checker catches doubled runs. Never
// build a real binary with this tag.

package distributed

import "strings"

const sabotageFence = true

// The Redis claim script forgets the fence's tick, as the local backend does in fence.claim and the etcd
// transaction (claimOp) does.
func init() {
	const read = "local fence_tick = tonumber(fence[1])"
	if !strings.Contains(claimScript, read) {
		panic("hadesabotage: redis_claim.lua no longer reads the fence as expected")
	}
	claimScript = strings.Replace(claimScript, read, "local fence_tick = nil", 1)
}
