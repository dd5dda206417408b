// Records how many assignment rows of the current run have been copied onto User nodes (same transaction
// as the batch), so an interrupted copy resumes. Parameters: $run_id, $upto.
MATCH (r:SegmentationRun {run_id: $run_id})
SET r.users_copied = $upto
