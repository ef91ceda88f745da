package postgres

// statements are the SQL texts of a backend, its schema filled in (see withSchema). Each is one round
// trip: the functions called are those of migrations/.
type statements struct {
	claimTicks, acquireRun, renewRuns, countRun, queueRun, markRun string
	appendRuns, runs, runsOfJob, lastRuns                          string
	heartbeat, expireProcesses, processes, deregister              string
	pause, resume, paused, orders, expireControl                   string
	addRequest, takeRequest, answer, answers                       string
}

// newStatements returns the statements of schema.
func newStatements(schema string) statements {
	s := statements{
		claimTicks: `SELECT o_ord, o_code, o_holder, o_previous, o_busy_holder, o_busy_tick, o_fence_tick, o_now,
			o_definition, o_live_until FROM {schema}.claim_ticks($1, $2, $3, $4, $5, $6, $7, $8)`,
		acquireRun: `SELECT o_holder, o_tick FROM {schema}.acquire_run($1, $2, $3, $4)`,
		renewRuns:  `SELECT o_ord FROM {schema}.renew_runs($1, $2, $3, $4)`,
		countRun:   `SELECT o_count, o_counted FROM {schema}.count_run($1, $2, $3)`,
		queueRun:   `SELECT o_holder, o_tick, o_waiting FROM {schema}.queue_run($1, $2, $3, $4, $5)`,
		markRun:    `SELECT {schema}.mark_run($1, $2, $3, $4)`,
		appendRuns: `SELECT FROM {schema}.append_runs($1, $2, $3, $4, $5, $6, $7, $8)`,
		runs: `SELECT job, tick, last_tick, outcome, body FROM {schema}.runs
			WHERE tick >= clock_timestamp() - $1 * interval '1 microsecond'
			AND ($2 = '' OR outcome = $2) AND ($3::timestamptz IS NULL OR tick >= $3 OR last_tick >= $3)
			ORDER BY tick DESC, seq DESC LIMIT $4`,
		runsOfJob: `SELECT job, tick, last_tick, outcome, body FROM {schema}.runs
			WHERE job = $5 AND tick >= clock_timestamp() - $1 * interval '1 microsecond'
			AND ($2 = '' OR outcome = $2) AND ($3::timestamptz IS NULL OR tick >= $3 OR last_tick >= $3)
			ORDER BY tick DESC, seq DESC LIMIT $4`,
		lastRuns: `SELECT r.job, r.tick, r.last_tick, r.outcome, r.body FROM unnest($1::text[]) AS j(job)
			CROSS JOIN LATERAL (SELECT * FROM {schema}.runs WHERE job = j.job ORDER BY tick DESC, seq DESC
			LIMIT 1) r WHERE r.tick >= clock_timestamp() - $2 * interval '1 microsecond'`,
		heartbeat: `INSERT INTO {schema}.processes (app_id, body, expires)
			VALUES ($1, $2, clock_timestamp() + $3 * interval '1 microsecond')
			ON CONFLICT (app_id) DO UPDATE SET body = EXCLUDED.body, expires = EXCLUDED.expires`,
		expireProcesses: `DELETE FROM {schema}.processes WHERE expires <= clock_timestamp()`,
		processes:       `SELECT app_id, body FROM {schema}.processes WHERE expires > clock_timestamp()`,
		deregister:      `DELETE FROM {schema}.processes WHERE app_id = $1`,
		resume:          `DELETE FROM {schema}.paused WHERE job = $1`,
		paused:          `SELECT job, note FROM {schema}.paused`,
		pause: `INSERT INTO {schema}.paused (job, note) VALUES ($1, $2)
			ON CONFLICT (job) DO UPDATE SET note = EXCLUDED.note`,
		orders: `SELECT id, made, body FROM {schema}.requests
			WHERE made >= clock_timestamp() - $1 * interval '1 microsecond' ORDER BY made, id COLLATE "C"`,
		expireControl: `WITH cutoff AS (SELECT clock_timestamp() - $1 * interval '1 microsecond' AS at),
			r AS (DELETE FROM {schema}.requests WHERE made < (SELECT at FROM cutoff)),
			t AS (DELETE FROM {schema}.takes WHERE taken < (SELECT at FROM cutoff))
			DELETE FROM {schema}.answers WHERE stored < (SELECT at FROM cutoff)`,
		addRequest: `INSERT INTO {schema}.requests (id, made, body) VALUES ($1, $2, $3)`,
		takeRequest: `INSERT INTO {schema}.takes (id, app_id, taken) VALUES ($1, $2, clock_timestamp())
			ON CONFLICT (id) DO NOTHING`,
		answer: `INSERT INTO {schema}.answers (request_id, app_id, body, stored)
			VALUES ($1, $2, $3, clock_timestamp())`,
		answers: `SELECT app_id, body FROM {schema}.answers WHERE request_id = $1 ORDER BY seq`,
	}
	for _, text := range []*string{&s.claimTicks, &s.acquireRun, &s.renewRuns, &s.countRun, &s.queueRun,
		&s.markRun, &s.appendRuns, &s.runs, &s.runsOfJob, &s.lastRuns, &s.heartbeat, &s.expireProcesses,
		&s.processes, &s.deregister, &s.pause, &s.resume, &s.paused, &s.orders, &s.expireControl,
		&s.addRequest, &s.takeRequest, &s.answer, &s.answers} {
		*text = withSchema(*text, schema)
	}
	return s
}
