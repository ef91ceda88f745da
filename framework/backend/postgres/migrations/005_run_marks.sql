-- Version 5: the ticks marked as run per service (a backfill runs each tick once:
-- contract.RunLeases.MarkRun). A schema upgraded from version 4 has no row: no tick is marked. Binaries of
-- version 4 neither read nor write the table nor call the function, so they keep working on the upgraded
-- schema.

-- service_run_marks: one row per tick of a service marked as run, to the µs, and the holder (app id) that
-- marked it first. Rows are changed only by mark_run: never updated, deleted once the tick is older than
-- the run history's MaxAge (the history keeps no record of it any more).
CREATE TABLE {schema}.service_run_marks (
	service text NOT NULL,
	tick    timestamptz NOT NULL,
	holder  text NOT NULL,
	PRIMARY KEY (service, tick)
);

-- mark_run decides MarkRun of p_holder's run of p_service's tick p_tick: it inserts the mark unless the
-- tick is marked (a call marking it at once waits for the other's commit, then finds its row) and returns
-- whether p_holder holds the mark (true: marked now, or by p_holder before: a re-send). Then, when
-- p_max_age (µs) > 0, it deletes the service's other marks whose tick is more than p_max_age old by the
-- server's clock, skipping those another call is deleting (SKIP LOCKED: a trim never waits, so two calls
-- never deadlock). A mark deleted between the insert and the read is inserted again.
CREATE FUNCTION {schema}.mark_run(p_service text, p_holder text, p_tick timestamptz, p_max_age bigint)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
	marker text; -- the holder of the mark
BEGIN
	LOOP
		INSERT INTO {schema}.service_run_marks (service, tick, holder) VALUES (p_service, p_tick, p_holder)
			ON CONFLICT (service, tick) DO NOTHING;
		IF FOUND THEN
			marker := p_holder;
			EXIT;
		END IF;
		SELECT m.holder INTO marker FROM {schema}.service_run_marks m
			WHERE m.service = p_service AND m.tick = p_tick;
		EXIT WHEN FOUND;
	END LOOP;
	IF p_max_age > 0 THEN
		DELETE FROM {schema}.service_run_marks WHERE service = p_service AND tick IN (
			SELECT o.tick FROM {schema}.service_run_marks o WHERE o.service = p_service AND o.tick <> p_tick
				AND o.tick < clock_timestamp() - p_max_age * interval '1 microsecond'
			FOR UPDATE SKIP LOCKED);
	END IF;
	RETURN marker = p_holder;
END
$$;
