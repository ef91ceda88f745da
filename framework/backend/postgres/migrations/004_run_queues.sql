-- Version 4: the queues of buffered ticks (OverlapBufferOne, OverlapBufferAll: contract.RunLeases.QueueRun).
-- A schema upgraded from version 3 has no row: no tick waits and none was taken. The run lease a queue
-- takes is the one of fences (version 1), so a lease held by a binary of version 3 holds a queue back.
-- Binaries of version 3 neither read nor write the table nor call the function, so they keep working on
-- the upgraded schema.

-- service_run_queues: one row per service that queued a tick, never deleted: the ticks waiting, oldest
-- first, at most rules.MaxQueued (1000), and the newest tick taken off them to run (NULL: none yet). It is
-- changed only by queue_run, under the row lock of the service's fence.
CREATE TABLE {schema}.service_run_queues (
	service text PRIMARY KEY,
	waiting timestamptz[] NOT NULL,
	taken   timestamptz
);

-- queue_run decides QueueRun of p_holder's run of p_tick with p_max (>= 0) and a run lease of p_ttl µs by
-- the rule every backend runs (rules.RunQueue.Queue), step for step, judged by the server's clock, under
-- the row lock of the service's fence, which holds its run lease (see claim_ticks): so the queue and the
-- lease change together, each call decided after the claims, acquire_run, renew_runs, releases and
-- queue_run calls that locked the row before it. It returns the lease's holder after the call (o_holder
-- '' and o_tick NULL when free) and the ticks waiting after, oldest first. A call that changes neither
-- the queue nor the newest tick taken writes no row of service_run_queues.
CREATE FUNCTION {schema}.queue_run(p_service text, p_holder text, p_tick timestamptz, p_max bigint,
	p_ttl bigint)
RETURNS TABLE (o_holder text, o_tick timestamptz, o_waiting timestamptz[])
LANGUAGE plpgsql AS $$
DECLARE
	f       {schema}.fences%ROWTYPE;
	q       {schema}.service_run_queues%ROWTYPE;
	waiting timestamptz[];
	taken   timestamptz;
	now     timestamptz;
BEGIN
	SELECT * INTO f FROM {schema}.fences WHERE service = p_service FOR UPDATE;
	IF NOT FOUND THEN
		INSERT INTO {schema}.fences (service) VALUES (p_service) ON CONFLICT (service) DO NOTHING;
		SELECT * INTO f FROM {schema}.fences WHERE service = p_service FOR UPDATE;
	END IF;
	now := clock_timestamp();
	SELECT * INTO q FROM {schema}.service_run_queues WHERE service = p_service FOR UPDATE;
	waiting := coalesce(q.waiting, '{}'); taken := q.taken;
	IF f.lease_holder <> '' AND f.lease_holder = p_holder AND f.lease_tick = p_tick THEN
		o_holder := f.lease_holder; o_tick := f.lease_tick; o_waiting := waiting; -- a re-send of the take
		RETURN NEXT;
		RETURN;
	END IF;
	IF cardinality(waiting) < p_max AND (taken IS NULL OR p_tick > taken) AND NOT p_tick = ANY(waiting) THEN
		waiting := ARRAY(SELECT u.t FROM unnest(waiting || p_tick) AS u(t) ORDER BY u.t);
	END IF;
	o_holder := ''; o_tick := NULL;
	IF f.lease_holder <> '' AND now <= f.lease_until THEN -- held by a run: the queue waits
		o_holder := f.lease_holder; o_tick := f.lease_tick;
	ELSIF cardinality(waiting) > 0 THEN -- free (or expired): the oldest waiting tick runs
		o_holder := p_holder; o_tick := waiting[1]; taken := waiting[1]; waiting := waiting[2:];
		UPDATE {schema}.fences SET lease_holder = p_holder, lease_tick = o_tick,
			lease_until = now + p_ttl * interval '1 microsecond' WHERE service = p_service;
	END IF;
	IF waiting <> coalesce(q.waiting, '{}') OR taken IS DISTINCT FROM q.taken THEN
		INSERT INTO {schema}.service_run_queues (service, waiting, taken) VALUES (p_service, waiting, taken)
			ON CONFLICT (service) DO UPDATE SET waiting = EXCLUDED.waiting, taken = EXCLUDED.taken;
	END IF;
	o_waiting := waiting;
	RETURN NEXT;
END
$$;
