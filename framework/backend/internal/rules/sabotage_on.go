//go:build hadesabotage

// TEST ONLY. Built with -tags hadesabotage, the backends skip the fence comparison, so ticks can be won
// twice: cmd/hadeverify --sabotage fence uses it to show that its checker catches doubled runs. Never
// build a real binary with this tag.

package rules

// SabotageFence is true only in test builds with -tags hadesabotage: Fence.Claim, the etcd transaction and
// the Redis claim script (redis/sabotage_on.go) then skip the fence's tick.
const SabotageFence = true
