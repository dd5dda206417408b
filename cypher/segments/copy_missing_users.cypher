// The User copy's last step when the switch went through the run: users the run had no assignment for
// get its segment 0 with confidence 0, committed in batches. Parameters: $run_id, $at, $zero_key.
MATCH (z:Segment {segment_key: $zero_key})<-[m:IN_SEGMENT]-(u:User)
WHERE m.missing
CALL (u, z) {
  SET u.segment = z.name, u.segment_fr = z.name_fr, u.segment_id = z.segment_id,
      u.segment_confidence = 0.0, u.segment_low_confidence = true,
      u.segmented_at = datetime($at), u.segment_run = $run_id
} IN TRANSACTIONS OF 10000 ROWS
