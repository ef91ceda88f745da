-- Version 2: a paused job's note (contract.JobControl.SetPaused: who paused it, or the failed tick and its
-- error), "" for none. The jobs paused before the upgrade stay paused, without a note; the statements of
-- version 1 binaries name their columns, so they keep working on the upgraded table (their pauses have no
-- note). A column with a constant default is added without rewriting the table.
ALTER TABLE {schema}.paused ADD COLUMN note text NOT NULL DEFAULT '';
