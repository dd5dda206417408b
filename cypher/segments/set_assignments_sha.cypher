// Records which assignments.parquet (its SHA-256) the current run's graph state was written from.
// Parameters: $run_id, $sha.
MATCH (r:SegmentationRun {run_id: $run_id})
SET r.assignments_sha = $sha
