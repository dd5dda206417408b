// Deletes what an interrupted write of a run that was never current staged: its Segment nodes with
// their PREFERS/BECAME, and the run node. Run retire_memberships first so the DETACH DELETE stays small.
// Parameters: $run_id. A run that was current once (switched_at set) is kept as history instead.
MATCH (r:SegmentationRun {run_id: $run_id})
WHERE r.state = 'staging' AND NOT r.current AND r.switched_at IS NULL
OPTIONAL MATCH (r)-[:HAS_SEGMENT]->(s:Segment)
DETACH DELETE s
WITH DISTINCT r
DETACH DELETE r
