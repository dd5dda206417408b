// Stages one batch of a run's memberships (invisible: the pointer does not name the run yet) and advances
// the run's cursor in the same transaction (never back: batches on two sessions may commit out of order), so a
// re-run starts where every row before has been staged (hence CREATE, not MERGE); a re-run, which may send a few
// batches again, sets $guard, and a user already holding the run's membership is skipped. Users not in the graph
// are skipped. Parameters: $run_id, $upto (rows of assignments.parquet staged once this batch commits), $guard
// (BOOLEAN), $groups = [{segment_key: STRING, user_ids: LIST<INTEGER>, node_ids: LIST<INTEGER>, confidence:
// LIST<FLOAT>, low_confidence: LIST<BOOLEAN>}] (one group per segment, lists aligned). Each user is found by
// its node id, checked against its user_id (graph/node_ids.py).
CALL {
  UNWIND $groups AS g
  MATCH (s:Segment {segment_key: g.segment_key})
  UNWIND range(0, size(g.user_ids) - 1) AS i
  MATCH (u)
  WHERE id(u) = g.node_ids[i] AND u.user_id = g.user_ids[i]
    AND (NOT $guard OR NOT EXISTS { (u)-[:IN_SEGMENT]->(:Segment {run_id: $run_id}) })
  CREATE (u)-[m:IN_SEGMENT {confidence: g.confidence[i], low_confidence: g.low_confidence[i]}]->(s)
  RETURN count(m) AS matched
}
MATCH (r:SegmentationRun {run_id: $run_id})
SET r.staged_rows = CASE WHEN coalesce(r.staged_rows, 0) < $upto THEN $upto ELSE r.staged_rows END
RETURN matched
