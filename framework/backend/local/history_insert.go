package local

import (
	"context"

	"github.com/hadeframe/hade/framework/contract"
)

// insertRuns inserts records into run_records in their order (their ids increase with it), maxBatchRows
// at most per statement: times as microseconds since the Unix epoch, a nil body as an empty one.
func (b *runBatch) insertRuns(ctx context.Context, records []contract.RunRecord) error {
	return splitRows(len(records), func(start, rows int) error {
		args := b.args[:0]
		for _, r := range records[start : start+rows] {
			args = append(args, r.Job, r.Tick.UnixMicro(), r.LastTick.UnixMicro(), string(r.Outcome), r.Body)
		}
		b.args = args
		return b.exec(ctx, insertRunsBatch, rows, args)
	})
}
