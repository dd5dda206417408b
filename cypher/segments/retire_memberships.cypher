// Removes a non-current run's IN_SEGMENT relationships in batches (after the switch, or to clean up an
// interrupted write). Parameters: $run_id (a run that is NOT current).
MATCH (r:SegmentationRun {run_id: $run_id})-[:HAS_SEGMENT]->(s:Segment)<-[m:IN_SEGMENT]-(:User)
WHERE NOT r.current
CALL (m) { DELETE m } IN TRANSACTIONS OF 10000 ROWS
