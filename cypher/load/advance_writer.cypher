// Moves one writer's cursor of a file's relationship steps from ($step, $batch) to ($next_step, $next_batch);
// returns nothing if the cursor is elsewhere (that batch was already applied). Runs in the batch's transaction.
// Parameters: $sha256, $writer, $step, $batch, $next_step, $next_batch.
MATCH (c:LoadCursor {sha256: $sha256, writer: $writer})
WHERE c.step = $step AND c.batch = $batch
SET c.step = $next_step, c.batch = $next_batch
RETURN c.writer AS writer
