// Sets a run's write cursor once every batch of a phase has committed (batches on two sessions leave it a
// batch or two behind the rows written: segments/writeback.py). Parameters: $run_id, $cursor = {staged_rows:
// INTEGER} or {users_copied: INTEGER}.
MATCH (r:SegmentationRun {run_id: $run_id})
SET r += $cursor
