// Starts, or finds again after an interruption, the concurrent writers of a file's relationship steps:
// one (:LoadCursor) node per writer, so that two writers' batches never wait on each other's cursor
// (each batch commits with the move of its writer's cursor only). The number of writers is fixed by
// the first call for the file: a resumed load cuts its users into the same partitions.
// Parameters: $sha256, $writers (wanted if the file has none yet), $step (the first relationship step).
MATCH (f:IngestedFile {sha256: $sha256})
WHERE f.state = 'loading'
SET f.writers = coalesce(f.writers, $writers)
WITH f
UNWIND range(0, f.writers - 1) AS writer
MERGE (c:LoadCursor {sha256: f.sha256, writer: writer})
  ON CREATE SET c.step = $step, c.batch = 0
RETURN writer, c.step AS step, c.batch AS batch
ORDER BY writer
