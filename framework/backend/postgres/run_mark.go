package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/hadeframe/hade/framework/backend/internal/rules"
	"github.com/hadeframe/hade/framework/contract"
)

// MarkRun implements contract.RunLeases.MarkRun in one mark_run call (migrations/005_run_marks.sql): the
// first holder to mark a service's tick keeps it, as a row of service_run_marks keyed by the service and
// the tick to the µs (timestamptz: run.Tick re-sent with nanoseconds, a monotonic reading or another
// location is the same tick). The same call deletes the service's other marks of ticks older than the
// retention's MaxAge by the server's clock, which the run history keeps no record of any more (a service
// that marks no more keeps the marks its last call left; claims never trim). It returns true when this
// call marked the tick or run.Holder had, false when another holder had; an error for invalid input
// (rules.ValidateRunLease), ctx's error when ctx ends first, an error naming the missing privilege when
// the role may not use service_run_marks (a schema migrated by another role, whose grants predate version
// 5), and an error naming postgres otherwise (a failed call may have marked: calling again with the same
// run says so).
func (p *pgBackend) MarkRun(ctx context.Context, run contract.RunLease) (bool, error) {
	if err := rules.ValidateRunLease(run, 0, false); err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.callTimeout)
	defer cancel()
	var marked bool
	err := p.pool.QueryRow(ctx, p.sql.markRun, run.Service, run.Holder, time.UnixMicro(run.Tick.UnixMicro()),
		p.retention.MaxAge.Microseconds()).Scan(&marked)
	if err != nil {
		return false, p.privilege(fmt.Sprintf("mark the run of service %q at %s", run.Service,
			rules.FormatTime(run.Tick)), err)
	}
	return marked, nil
}
