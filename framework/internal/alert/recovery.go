package alert

import (
	"context"

	"github.com/hadeframe/hade/framework/contract"
	"github.com/hadeframe/hade/framework/internal/record"
)

// recoveryLookback is how many of a job's newest records are read to find the verdict before an ok run.
const recoveryLookback = 10

// recovery reads the history for the verdict of record's job before record (an ok run): the newest record
// with an earlier tick whose outcome is ok or a failure, skipping the others (skipped, paused, missed, …).
// It returns the recovered alert when that verdict was failed; nil when it was ok, or when none is among
// the job's recoveryLookback newest records. One read of the history, bounded by Options.Timeout.
func (a *Alerter) recovery(run record.Run) (*Payload, error) {
	ctx, cancel := context.WithTimeout(a.ctx, a.options.Timeout)
	defer cancel()
	records, err := record.Runs(ctx, a.options.History, contract.RunQuery{Job: run.Job, Limit: recoveryLookback})
	if err != nil {
		return nil, err
	}
	for _, previous := range records { // newest first
		if !previous.Tick.Before(run.Tick) {
			continue
		}
		switch verdict(string(previous.Outcome)) {
		case verdictFailed:
			return newPayload(EventRecovered, run), nil
		case verdictOK:
			return nil, nil
		}
	}
	return nil, nil
}
