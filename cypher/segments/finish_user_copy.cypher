// Marks the User copy of the current run complete (every User.segment* names this run).
// Parameters: $run_id.
MATCH (r:SegmentationRun {run_id: $run_id})
SET r.user_copy = 'done'
