// Applies a batch of updated assignments of the CURRENT run (after `shopgraph assign` rewrote its
// assignments.parquet): users whose segment or confidence changed (or who had none of this run) move to
// their segment, IN_SEGMENT and User.segment* together, in one transaction per batch; others are untouched.
// Parameters: $run_id, $at (ISO datetime of the update), $rows = [{user_id, segment_id, segment_key, segment,
// segment_fr, confidence, low_confidence, <USER_COPY properties>}]. Returns how many users changed.
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
WITH u, row
WHERE u.segment_run IS NULL OR u.segment_run <> $run_id OR u.segment_id <> row.segment_id
   OR u.segment_confidence <> row.confidence OR u.segment_low_confidence <> row.low_confidence
MATCH (s:Segment {segment_key: row.segment_key})
CALL (u, s) {
  OPTIONAL MATCH (u)-[old:IN_SEGMENT]->(o:Segment {run_id: $run_id})
  WHERE o <> s
  DELETE old
}
MERGE (u)-[m:IN_SEGMENT]->(s)
SET m.confidence = row.confidence, m.low_confidence = row.low_confidence
REMOVE m.missing
SET u.segment = row.segment, u.segment_fr = row.segment_fr, u.segment_id = row.segment_id,
    u.segmented_at = datetime($at), u.segment_run = $run_id,
    u.segment_confidence = row.segment_confidence, u.segment_low_confidence = row.segment_low_confidence
RETURN count(u) AS changed
