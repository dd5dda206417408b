// Moves a file's load cursor from ($step, $batch) to ($next_step, $next_batch); returns nothing if the
// cursor is elsewhere (that batch was already applied). Runs in the same transaction as the batch.
// Parameters: $sha256, $step, $batch, $next_step, $next_batch.
MATCH (f:IngestedFile {sha256: $sha256})
WHERE f.state = 'loading' AND f.step = $step AND f.batch = $batch
SET f.step = $next_step, f.batch = $next_batch
RETURN f.sha256 AS sha256
