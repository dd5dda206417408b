// Creates (or takes up again) the SegmentationRun node of a run being written; invisible (current = false).
// Parameters: $run_id, $at (ISO datetime string), $props = {k, method, threshold, seed, code_version,
// data_window, scores_json, parameters_json, run_dir, assignments_sha, …}, $restart (BOOLEAN: staging starts
// again from row 0). A retired run written again starts staging from row 0.
MERGE (r:SegmentationRun {run_id: $run_id})
ON CREATE SET r.current = false, r.state = 'staging', r.staged_rows = 0
WITH r
SET r.staged_rows = CASE WHEN r.state = 'staging' AND NOT $restart THEN coalesce(r.staged_rows, 0) ELSE 0 END,
    r.state = CASE WHEN r.current THEN r.state ELSE 'staging' END
SET r += $props, r.at = datetime($at)
RETURN r.state AS state, r.staged_rows AS staged_rows
