-- Version 3: the runs counted of each service for WithLimitedRuns (contract.RunLeases.CountRun). A schema
-- upgraded from version 2 has no row: its services have counted no run. Binaries of version 2 neither read
-- nor write the table nor call the function, so they keep working on the upgraded schema.

-- service_run_counts: one row per service that counted a run, never deleted: how many runs were counted
-- and the tick counted last. It is not run_counts (version 1), which counts the rows of runs per job.
CREATE TABLE {schema}.service_run_counts (
	service   text PRIMARY KEY,
	count     bigint NOT NULL,
	last_tick timestamptz NOT NULL
);

-- count_run decides CountRun of p_service's run of p_tick with p_limit (>= 0) by the rule every backend
-- runs (rules.RunCount.Add), step for step, under the service's row lock, so that calls counting at once
-- are decided one after the other, each on the count the one before left. p_limit 0 only reads (and
-- creates no row). It returns the count after the call and whether the run is counted (counted now, or
-- the tick counted last: a re-send).
CREATE FUNCTION {schema}.count_run(p_service text, p_tick timestamptz, p_limit bigint)
RETURNS TABLE (o_count bigint, o_counted boolean)
LANGUAGE plpgsql AS $$
DECLARE
	c {schema}.service_run_counts%ROWTYPE;
BEGIN
	IF p_limit = 0 THEN
		o_count := coalesce((SELECT s.count FROM {schema}.service_run_counts s WHERE s.service = p_service), 0);
		o_counted := false;
		RETURN NEXT;
		RETURN;
	END IF;
	INSERT INTO {schema}.service_run_counts (service, count, last_tick) VALUES (p_service, 1, p_tick)
		ON CONFLICT (service) DO NOTHING;
	IF FOUND THEN -- the service's first run
		o_count := 1; o_counted := true;
		RETURN NEXT;
		RETURN;
	END IF;
	SELECT * INTO STRICT c FROM {schema}.service_run_counts WHERE service = p_service FOR UPDATE;
	IF c.count > 0 AND c.last_tick = p_tick THEN -- a re-send of the last count
		o_count := c.count; o_counted := true;
	ELSIF c.count >= p_limit THEN
		o_count := c.count; o_counted := false;
	ELSE
		UPDATE {schema}.service_run_counts SET count = c.count + 1, last_tick = p_tick WHERE service = p_service;
		o_count := c.count + 1; o_counted := true;
	END IF;
	RETURN NEXT;
END
$$;
