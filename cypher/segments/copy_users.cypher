// One batch of the User copy after the switch: each user gets the current run's segment (name, French name,
// id: read once per segment from its Segment node), segment_run, segmented_at and the USER_COPY properties
// (segments/writeback.py: a property added there is added here, in copy_missing_users and in refresh_members);
// the previous run's IN_SEGMENT stay until the retire deletes them all in batches (invisible: every query reads
// the current run through the pointer; docs/BENCHMARKS.md, "Segment write-back"), and the run's cursor advances
// in the same transaction
// (never back: batches on two sessions may commit out of order; a re-run sends the few batches after the cursor
// again, and copying a user twice gives the same). Users not in the graph are skipped. Parameters: $run_id,
// $at (ISO datetime of the run), $upto (rows copied once this batch commits), $groups = [{segment_key: STRING,
// user_ids: LIST<INTEGER>, node_ids: LIST<INTEGER>, segment_confidence: LIST<FLOAT>, segment_low_confidence:
// LIST<BOOLEAN>}]. Each user is found by its node id, checked against its user_id (graph/node_ids.py).
CALL {
  UNWIND $groups AS g
  MATCH (s:Segment {segment_key: g.segment_key})
  WITH g, s, s.name AS name, s.name_fr AS name_fr, s.segment_id AS segment_id, datetime($at) AS at
  UNWIND range(0, size(g.user_ids) - 1) AS i
  MATCH (u)
  WHERE id(u) = g.node_ids[i] AND u.user_id = g.user_ids[i]
  SET u.segment = name, u.segment_fr = name_fr, u.segment_id = segment_id, u.segmented_at = at,
      u.segment_run = $run_id,
      u.segment_confidence = g.segment_confidence[i], u.segment_low_confidence = g.segment_low_confidence[i]
  RETURN count(u) AS copied
}
MATCH (r:SegmentationRun {run_id: $run_id})
SET r.users_copied = CASE WHEN coalesce(r.users_copied, 0) < $upto THEN $upto ELSE r.users_copied END
RETURN copied
