// Removes up to $limit of a non-current run's IN_SEGMENT relationships (after the switch, or to clean up an
// interrupted write), in one transaction; called until it removes none, so that the retire shows its progress
// and no transaction grows with the shop (segments/writeback.py). Parameters: $run_id (a run that is NOT
// current), $limit (INTEGER). Returns how many it removed.
MATCH (r:SegmentationRun {run_id: $run_id})-[:HAS_SEGMENT]->(:Segment)<-[m:IN_SEGMENT]-(:User)
WHERE NOT r.current
WITH m LIMIT $limit
DELETE m
RETURN count(*) AS removed
