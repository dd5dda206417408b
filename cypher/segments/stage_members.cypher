// Stages one batch of a run's memberships (invisible: the pointer does not name the run yet) and advances
// the run's cursor in the same transaction, so a re-run never stages a row twice (hence CREATE, not MERGE).
// Users not in the graph are skipped. Parameters: $run_id, $upto (rows of assignments.parquet done after
// this batch), $groups = [{segment_key: STRING, user_ids: LIST<INTEGER>, confidence: LIST<FLOAT>,
// low_confidence: LIST<BOOLEAN>}] (one group per segment, lists aligned).
CALL {
  UNWIND $groups AS g
  MATCH (s:Segment {segment_key: g.segment_key})
  UNWIND range(0, size(g.user_ids) - 1) AS i
  MATCH (u:User {user_id: g.user_ids[i]})
  CREATE (u)-[m:IN_SEGMENT {confidence: g.confidence[i], low_confidence: g.low_confidence[i]}]->(s)
  RETURN count(m) AS matched
}
MATCH (r:SegmentationRun {run_id: $run_id})
SET r.staged_rows = $upto
RETURN matched
