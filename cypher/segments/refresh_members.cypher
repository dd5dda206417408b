// Applies a batch of updated assignments of the CURRENT run (after `shopgraph assign` rewrote its
// assignments.parquet): users whose segment or confidence changed (or who had none of this run) move to
// their segment, IN_SEGMENT and User.segment* together, in one transaction per batch; others are untouched.
// Batches go on two sessions at once, each its own users: the membership is found or CREATEd (a user is in
// the file once), not MERGEd, which would lock the segment's node against the other session.
// Parameters: $run_id, $at (ISO datetime of the update), $groups = [{segment_key: STRING,
// user_ids: LIST<INTEGER>, node_ids: LIST<INTEGER>, confidence: LIST<FLOAT>, low_confidence: LIST<BOOLEAN>, <one list per USER_COPY
// property: segment_confidence, segment_low_confidence, …>}] (one group per segment, lists aligned).
// Each user is found by its node id, checked against its user_id (graph/node_ids.py). Returns how many users changed.
UNWIND $groups AS g
MATCH (s:Segment {segment_key: g.segment_key})
WITH g, s, s.name AS name, s.name_fr AS name_fr, s.segment_id AS segment_id
UNWIND range(0, size(g.user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = g.node_ids[i] AND u.user_id = g.user_ids[i]
WITH g, s, name, name_fr, segment_id, i, u
WHERE u.segment_run IS NULL OR u.segment_run <> $run_id OR u.segment_id <> segment_id
   OR u.segment_confidence <> g.confidence[i] OR u.segment_low_confidence <> g.low_confidence[i]
CALL (u, s) {
  OPTIONAL MATCH (u)-[old:IN_SEGMENT]->(o:Segment {run_id: $run_id})
  WHERE o <> s
  DELETE old
}
OPTIONAL MATCH (u)-[kept:IN_SEGMENT]->(s)
CALL (u, s, kept, g, i) {
  WITH * WHERE kept IS NULL
  CREATE (u)-[:IN_SEGMENT {confidence: g.confidence[i], low_confidence: g.low_confidence[i]}]->(s)
}
SET kept.confidence = g.confidence[i], kept.low_confidence = g.low_confidence[i]
REMOVE kept.missing
SET u.segment = name, u.segment_fr = name_fr, u.segment_id = segment_id,
    u.segmented_at = datetime($at), u.segment_run = $run_id,
    u.segment_confidence = g.segment_confidence[i], u.segment_low_confidence = g.segment_low_confidence[i]
RETURN count(u) AS changed
