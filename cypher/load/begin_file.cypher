// Registers a source file as being loaded, or returns how far an earlier (interrupted) load got.
// Parameters: $sha256, $name, $months (list of YYYY-MM), $rows_read, $rows_kept, $rows_rejected, $batch_size,
// $source_key (hash of the file's partitions: a resume over rewritten partitions is refused).
// load_id names what this load keeps on disk until it finishes (the list of its new users).
MERGE (f:IngestedFile {sha256: $sha256})
ON CREATE SET f.name = $name, f.months = $months, f.month = head($months),
              f.rows_read = $rows_read, f.rows_kept = $rows_kept, f.rows_rejected = $rows_rejected,
              f.state = 'loading', f.step = 0, f.batch = 0, f.batch_size = $batch_size,
              f.source_key = $source_key, f.load_id = randomUUID()
RETURN f.state AS state, f.step AS step, f.batch AS batch, f.batch_size AS batch_size, f.writers AS writers,
       f.source_key AS source_key, f.load_id AS load_id
