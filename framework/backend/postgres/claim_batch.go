package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hadeframe/hade/framework/backend/internal/claimqueue"
	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/clock"
)

// claimEntry is one entry of a claim_ticks call: a claim, or the release of a run lease, batched with
// the claims of the moment.
type claimEntry struct {
	release bool
	claim   contract.Claim    // a claim: its times in µs
	lease   contract.RunLease // a release
}

// claimAnswer is claim_ticks's row for an entry (see migrations/001_initial.sql): code, and the fields
// that code sets.
type claimAnswer struct {
	code       string
	holder     string
	previous   time.Time
	busyHolder string
	busyTick   time.Time
	fenceTick  time.Time // "older"
	now        time.Time // "outside": the server's clock
	definition string    // "conflict"
	liveUntil  time.Time // "conflict"
}

// claimRequest is an entry on its way through the backend's queue.
type claimRequest = claimqueue.Request[claimEntry, claimAnswer]

// claimArgs are the arrays of a claim_ticks call, one element per entry.
type claimArgs struct {
	kinds, services, apps, definitions []string
	ticks, liveUntils                  []time.Time
	holds, leases                      []int64
}

// add appends e's elements.
func (a *claimArgs) add(e claimEntry) {
	if e.release {
		a.kinds, a.services, a.apps = append(a.kinds, "release"), append(a.services, e.lease.Service),
			append(a.apps, e.lease.Holder)
		a.ticks, a.definitions, a.liveUntils = append(a.ticks, e.lease.Tick), append(a.definitions, ""),
			append(a.liveUntils, e.lease.Tick)
		a.holds, a.leases = append(a.holds, 0), append(a.leases, 0)
		return
	}
	c := e.claim
	a.kinds, a.services, a.apps = append(a.kinds, "claim"), append(a.services, c.Service), append(a.apps, c.AppID)
	a.ticks, a.definitions, a.liveUntils = append(a.ticks, c.Tick), append(a.definitions, c.Definition),
		append(a.liveUntils, c.LiveUntil)
	a.holds, a.leases = append(a.holds, max(c.HoldTime.Microseconds(), 1)), append(a.leases, c.RunLease.Microseconds())
}

// send runs claim_ticks once for the entries of batch that can be sent, answers each, and returns those
// to send again (a failed call may have been applied: a re-sent claim learns that it won).
func (p *pgBackend) send(batch []*claimRequest) (retries []*claimRequest) {
	live := claimqueue.TakeLive(batch, clock.Now())
	if len(live) == 0 {
		return nil
	}
	var args claimArgs
	for _, request := range live {
		args.add(request.Payload)
	}
	answers, err := p.claimTicks(args)
	p.outage.Note(err)
	return claimqueue.AnswerAll(live, err, func(i int) (claimAnswer, error) { return answers[i], nil })
}

// claimTicks calls claim_ticks with args and returns its answers in the entries' order.
func (p *pgBackend) claimTicks(args claimArgs) ([]claimAnswer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.callTimeout)
	defer cancel()
	rows, err := p.pool.Query(ctx, p.sql.claimTicks, args.kinds, args.services, args.apps, args.ticks,
		args.holds, args.definitions, args.liveUntils, args.leases)
	if err != nil {
		return nil, p.fail("claim", err)
	}
	defer rows.Close()
	answers := make([]claimAnswer, len(args.kinds))
	seen := 0
	for rows.Next() {
		ord, answer, err := scanClaimAnswer(rows)
		if err != nil {
			return nil, p.fail("claim: read the answer", err)
		}
		if ord < 1 || ord > len(answers) {
			return nil, p.fail("claim", fmt.Errorf("answer for entry %d of %d", ord, len(answers)))
		}
		answers[ord-1], seen = answer, seen+1
	}
	if err := rows.Err(); err != nil {
		return nil, p.fail("claim", err)
	}
	if seen != len(answers) {
		return nil, p.fail("claim", fmt.Errorf("%d answers to %d entries", seen, len(answers)))
	}
	return answers, nil
}

// scanClaimAnswer reads a row of claim_ticks: the entry's index (1-based) and its answer.
func scanClaimAnswer(rows pgx.Rows) (int, claimAnswer, error) {
	var ord int
	var a claimAnswer
	var holder, busyHolder, definition *string
	var previous, busyTick, fenceTick, now, liveUntil *time.Time
	err := rows.Scan(&ord, &a.code, &holder, &previous, &busyHolder, &busyTick, &fenceTick, &now, &definition,
		&liveUntil)
	a.holder, a.busyHolder, a.definition = text(holder), text(busyHolder), text(definition)
	a.previous, a.busyTick, a.fenceTick, a.now, a.liveUntil = at(previous), at(busyTick), at(fenceTick), at(now),
		at(liveUntil)
	return ord, a, err
}

// text is *s, "" for NULL.
func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// at is *t, the zero time for NULL.
func at(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
