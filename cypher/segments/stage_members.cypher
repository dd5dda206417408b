// Stages one batch of a run's memberships (invisible: the run's segments are not current yet) and
// advances the run's cursor in the same transaction. Users not in the graph are skipped.
// Parameters: $run_id, $upto (rows of assignments.parquet done after this batch),
// $rows = [{user_id: INTEGER, segment_key: STRING, confidence: FLOAT, low_confidence: BOOLEAN}].
CALL {
  UNWIND $rows AS row
  MATCH (u:User {user_id: row.user_id})
  MATCH (s:Segment {segment_key: row.segment_key})
  MERGE (u)-[m:IN_SEGMENT]->(s)
  SET m.confidence = row.confidence, m.low_confidence = row.low_confidence
  RETURN count(m) AS matched
}
MATCH (r:SegmentationRun {run_id: $run_id})
SET r.staged_rows = $upto
RETURN matched
