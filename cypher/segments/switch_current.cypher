// The switch, ONE small transaction whatever the number of users: the pointer (:CurrentSegmentation {run_id})
// that every product query reads the current run through is moved to the run (one property of one node), the
// `current` flags of both runs and their segments follow (kept for hand-written Browser queries), the previous
// run starts retiring, FOLLOWS links them, and the User copy starts ('refreshing', cursor 0).
// Parameters: $run_id. Returns the previous run id (null for the first).
MATCH (new:SegmentationRun {run_id: $run_id})
MERGE (pointer:CurrentSegmentation)
SET pointer.run_id = $run_id, pointer.switched_at = datetime()
WITH new
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
    new.user_copy = 'refreshing', new.users_copied = 0
WITH new, old
MATCH (new)-[:HAS_SEGMENT]->(s:Segment)
SET s.current = true
RETURN DISTINCT old.run_id AS previous_run_id
