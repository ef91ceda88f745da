-- Version 1: the tables of every role of the backend (contract.Backend) and the functions that decide
-- claims and run leases. {schema} is the quoted schema name (postgres.Config.Schema).

-- fences: one row per distributed service, never deleted (a fence never expires): the latest tick claimed,
-- its winner, the winner's definition and LiveUntil, and the service's run lease (OverlapForbid).
-- tick is NULL until the service's first win. Updates change no indexed column, so they stay HOT.
CREATE TABLE {schema}.fences (
	service      text PRIMARY KEY,
	tick         timestamptz,
	winner       text NOT NULL DEFAULT '',
	definition   text NOT NULL DEFAULT '',
	live_until   timestamptz,
	lease_holder text NOT NULL DEFAULT '',
	lease_tick   timestamptz,
	lease_until  timestamptz
) WITH (fillfactor = 50);

-- runs: the run history; seq orders the records of one tick as they were appended.
CREATE TABLE {schema}.runs (
	seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	job       text NOT NULL,
	tick      timestamptz NOT NULL,
	last_tick timestamptz NOT NULL,
	outcome   text NOT NULL,
	body      bytea NOT NULL
);
CREATE INDEX runs_job_newest ON {schema}.runs (job, tick DESC, seq DESC);
CREATE INDEX runs_newest ON {schema}.runs (tick DESC, seq DESC);

-- run_counts: the rows of runs per job, so that trimming a job to its retention costs what it deletes.
CREATE TABLE {schema}.run_counts (
	job  text PRIMARY KEY,
	runs bigint NOT NULL
);

-- processes: the process registry; a record lives until expires (the server's clock).
CREATE TABLE {schema}.processes (
	app_id  text PRIMARY KEY,
	body    bytea NOT NULL,
	expires timestamptz NOT NULL
);

-- paused: the paused jobs, until resumed.
CREATE TABLE {schema}.paused (
	job text PRIMARY KEY
);

-- requests: the operators' requests, kept contract.ControlRequestTTL after made; taken_by names the one
-- process that took it. takes: the requests taken, kept as long (a request need not be stored to be taken).
CREATE TABLE {schema}.requests (
	id   text PRIMARY KEY,
	made timestamptz NOT NULL,
	body bytea NOT NULL
);
CREATE INDEX requests_made ON {schema}.requests (made);
CREATE TABLE {schema}.takes (
	id     text PRIMARY KEY,
	app_id text NOT NULL,
	taken  timestamptz NOT NULL
);
CREATE INDEX takes_taken ON {schema}.takes (taken);

-- answers: the answers to requests, in the order stored, kept as long as requests.
CREATE TABLE {schema}.answers (
	seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	request_id text NOT NULL,
	app_id     text NOT NULL,
	body       bytea NOT NULL,
	stored     timestamptz NOT NULL
);
CREATE INDEX answers_request ON {schema}.answers (request_id, seq);
CREATE INDEX answers_stored ON {schema}.answers (stored);

-- claim_ticks decides a batch of claims and run lease releases in one call, each by the rules every
-- backend runs (framework/backend/internal/rules: Fence.Claim, Lease.ForClaim), step for step, judged by
-- the server's clock (clock_timestamp()). Entry i is a claim (kind 'claim': service, app id, tick, hold
-- time in µs, definition, LiveUntil, run lease ttl in µs, 0: none) or a release (kind 'release': service,
-- holder, tick). The fences are locked in service order, so two batches never deadlock. One row per entry:
-- o_ord its index (1-based) and o_code: 'won' (o_holder the app: won now, or earlier by a re-sent claim;
-- o_previous; o_busy_holder/o_busy_tick when the run lease is held by another run), 'held' (o_holder),
-- 'older' (o_fence_tick), 'outside' (o_now), 'conflict' (o_holder, o_definition, o_live_until) or
-- 'released' (a release, done or not needed).
CREATE FUNCTION {schema}.claim_ticks(p_kinds text[], p_services text[], p_apps text[], p_ticks timestamptz[],
	p_holds bigint[], p_definitions text[], p_live_untils timestamptz[], p_leases bigint[])
RETURNS TABLE (o_ord int, o_code text, o_holder text, o_previous timestamptz, o_busy_holder text,
	o_busy_tick timestamptz, o_fence_tick timestamptz, o_now timestamptz, o_definition text,
	o_live_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
	i    int;
	f    {schema}.fences%ROWTYPE;
	held boolean;
	won  boolean;
BEGIN
	FOR i IN SELECT s.i FROM generate_subscripts(p_services, 1) AS s(i) ORDER BY p_services[s.i], s.i LOOP
		o_ord := i; o_code := NULL; o_holder := NULL; o_previous := NULL; o_busy_holder := NULL;
		o_busy_tick := NULL; o_fence_tick := NULL; o_definition := NULL; o_live_until := NULL;
		SELECT * INTO f FROM {schema}.fences WHERE service = p_services[i] FOR UPDATE;
		IF NOT FOUND THEN
			INSERT INTO {schema}.fences (service) VALUES (p_services[i]) ON CONFLICT (service) DO NOTHING;
			SELECT * INTO f FROM {schema}.fences WHERE service = p_services[i] FOR UPDATE;
		END IF;
		o_now := clock_timestamp();
		IF p_kinds[i] = 'release' THEN
			IF f.lease_holder <> '' AND f.lease_holder = p_apps[i] AND f.lease_tick = p_ticks[i] THEN
				UPDATE {schema}.fences SET lease_holder = '', lease_tick = NULL, lease_until = NULL
					WHERE service = p_services[i];
			END IF;
			o_code := 'released';
			RETURN NEXT;
			CONTINUE;
		END IF;
		held := f.tick IS NOT NULL;
		won := false;
		IF held AND p_ticks[i] = f.tick AND p_apps[i] = f.winner THEN
			o_code := 'won'; o_holder := p_apps[i];
		ELSIF held AND p_definitions[i] <> f.definition AND o_now <= f.live_until THEN
			o_code := 'conflict'; o_holder := f.winner; o_definition := f.definition; o_live_until := f.live_until;
		ELSIF held AND p_ticks[i] = f.tick THEN
			o_code := 'held'; o_holder := f.winner;
		ELSIF held AND p_ticks[i] < f.tick THEN
			o_code := 'older'; o_fence_tick := f.tick;
		ELSIF o_now < p_ticks[i] - p_holds[i] * interval '1 microsecond'
			OR o_now > p_ticks[i] + p_holds[i] * interval '1 microsecond' THEN
			o_code := 'outside';
		ELSE
			o_code := 'won'; o_holder := p_apps[i]; won := true;
			IF held AND f.definition = p_definitions[i] THEN
				o_previous := f.tick;
			END IF;
			f.tick := p_ticks[i]; f.winner := p_apps[i]; f.definition := p_definitions[i];
			f.live_until := p_live_untils[i];
		END IF;
		IF o_code = 'won' AND p_leases[i] > 0 THEN
			IF f.lease_holder <> '' AND f.lease_holder = p_apps[i] AND f.lease_tick = p_ticks[i] THEN
				NULL; -- this claim's run holds it already
			ELSIF won AND (f.lease_holder = '' OR o_now > f.lease_until) THEN
				f.lease_holder := p_apps[i]; f.lease_tick := p_ticks[i];
				f.lease_until := o_now + p_leases[i] * interval '1 microsecond';
			ELSIF f.lease_holder = '' THEN
				o_busy_holder := '(a run that has ended)';
			ELSE
				o_busy_holder := f.lease_holder; o_busy_tick := f.lease_tick;
			END IF;
		END IF;
		IF won THEN
			UPDATE {schema}.fences SET tick = f.tick, winner = f.winner, definition = f.definition,
				live_until = f.live_until, lease_holder = f.lease_holder, lease_tick = f.lease_tick,
				lease_until = f.lease_until
				WHERE service = p_services[i];
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;

-- acquire_run decides AcquireRun (rules.Lease.Acquire) of the run lease of p_service for p_holder's run
-- of p_tick, to live p_ttl µs by the server's clock: it returns the holder after the call.
CREATE FUNCTION {schema}.acquire_run(p_service text, p_holder text, p_tick timestamptz, p_ttl bigint)
RETURNS TABLE (o_holder text, o_tick timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
	f   {schema}.fences%ROWTYPE;
	now timestamptz;
BEGIN
	INSERT INTO {schema}.fences (service) VALUES (p_service) ON CONFLICT (service) DO NOTHING;
	SELECT * INTO f FROM {schema}.fences WHERE service = p_service FOR UPDATE;
	now := clock_timestamp();
	IF (f.lease_holder <> '' AND f.lease_holder = p_holder AND f.lease_tick = p_tick)
		OR f.lease_holder = '' OR now > f.lease_until THEN
		UPDATE {schema}.fences SET lease_holder = p_holder, lease_tick = p_tick,
			lease_until = now + p_ttl * interval '1 microsecond' WHERE service = p_service;
		o_holder := p_holder; o_tick := p_tick;
	ELSE
		o_holder := f.lease_holder; o_tick := f.lease_tick;
	END IF;
	RETURN NEXT;
END
$$;

-- renew_runs extends the run leases (p_services[i], p_holders[i], p_ticks[i]) still held, not expired, to
-- p_ttl µs from the server's clock, locking in service order; it returns the indexes (1-based) of those
-- that were not held any more.
CREATE FUNCTION {schema}.renew_runs(p_services text[], p_holders text[], p_ticks timestamptz[], p_ttl bigint)
RETURNS TABLE (o_ord int)
LANGUAGE plpgsql AS $$
DECLARE
	i   int;
	f   {schema}.fences%ROWTYPE;
	now timestamptz;
BEGIN
	FOR i IN SELECT s.i FROM generate_subscripts(p_services, 1) AS s(i) ORDER BY p_services[s.i], s.i LOOP
		SELECT * INTO f FROM {schema}.fences WHERE service = p_services[i] FOR UPDATE;
		now := clock_timestamp();
		IF FOUND AND f.lease_holder <> '' AND f.lease_holder = p_holders[i] AND f.lease_tick = p_ticks[i]
			AND now <= f.lease_until THEN
			UPDATE {schema}.fences SET lease_until = now + p_ttl * interval '1 microsecond'
				WHERE service = p_services[i];
		ELSE
			o_ord := i;
			RETURN NEXT;
		END IF;
	END LOOP;
END
$$;

-- append_runs stores a batch of run records (in the order given) and trims what the retention no longer
-- keeps: each job of the batch to its newest p_per_job records, and, when p_trim_age, every record whose
-- tick is more than p_max_age µs old by the server's clock. The counts of run_counts are locked in job
-- order, before any record of their job is deleted, so two batches never deadlock.
CREATE FUNCTION {schema}.append_runs(p_jobs text[], p_ticks timestamptz[], p_last_ticks timestamptz[],
	p_outcomes text[], p_bodies bytea[], p_per_job bigint, p_max_age bigint, p_trim_age boolean)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	r       record;
	deleted bigint;
	cutoff  timestamptz := clock_timestamp() - p_max_age * interval '1 microsecond';
BEGIN
	INSERT INTO {schema}.runs (job, tick, last_tick, outcome, body)
		SELECT b.job, b.tick, b.last_tick, b.outcome, b.body
		FROM unnest(p_jobs, p_ticks, p_last_ticks, p_outcomes, p_bodies) WITH ORDINALITY
			AS b(job, tick, last_tick, outcome, body, ord)
		ORDER BY b.ord;
	FOR r IN INSERT INTO {schema}.run_counts AS c (job, runs)
			SELECT j.job, count(*) FROM unnest(p_jobs) AS j(job) GROUP BY j.job ORDER BY j.job
			ON CONFLICT (job) DO UPDATE SET runs = c.runs + EXCLUDED.runs
			RETURNING c.job, c.runs LOOP
		IF r.runs > p_per_job THEN
			DELETE FROM {schema}.runs WHERE seq IN (SELECT seq FROM {schema}.runs WHERE job = r.job
				ORDER BY tick, seq LIMIT r.runs - p_per_job);
			GET DIAGNOSTICS deleted = ROW_COUNT;
			UPDATE {schema}.run_counts SET runs = runs - deleted WHERE job = r.job;
		END IF;
	END LOOP;
	IF p_trim_age THEN
		FOR r IN SELECT c.job FROM {schema}.run_counts c
				WHERE c.job IN (SELECT DISTINCT o.job FROM {schema}.runs o WHERE o.tick < cutoff)
				ORDER BY c.job FOR UPDATE LOOP
			DELETE FROM {schema}.runs WHERE job = r.job AND tick < cutoff;
			GET DIAGNOSTICS deleted = ROW_COUNT;
			UPDATE {schema}.run_counts SET runs = runs - deleted WHERE job = r.job;
			DELETE FROM {schema}.run_counts WHERE job = r.job AND runs <= 0;
		END LOOP;
	END IF;
END
$$;
