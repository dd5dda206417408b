// The switch of the current run (inside the one switch transaction, or alone when the User copy follows in
// batches): the run becomes current, the previous current run (if any) starts retiring, FOLLOWS links them.
// Parameters: $run_id, $user_copy ('done' or 'refreshing'). Returns the previous run id (null for the first).
MATCH (new:SegmentationRun {run_id: $run_id})
OPTIONAL MATCH (old:SegmentationRun)
WHERE old.current AND old.run_id <> $run_id
CALL (old) {
  WITH old WHERE old IS NOT NULL
  SET old.current = false, old.state = 'retiring'
  WITH old
  MATCH (old)-[:HAS_SEGMENT]->(s:Segment)
  SET s.current = false
}
CALL (new, old) {
  WITH new, old WHERE old IS NOT NULL
  MERGE (new)-[:FOLLOWS]->(old)
}
SET new.current = true, new.state = 'current', new.switched_at = datetime(),
    new.user_copy = $user_copy, new.users_copied = 0
WITH new, old
MATCH (new)-[:HAS_SEGMENT]->(s:Segment)
SET s.current = true
RETURN DISTINCT old.run_id AS previous_run_id
