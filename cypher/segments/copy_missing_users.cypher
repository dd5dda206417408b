// The User copy's last step: users the run had no assignment for (staged into its segment 0 with
// IN_SEGMENT.missing) get segment 0 and the USER_COPY values of a user without a row ($copy), in batches.
// Parameters: $run_id, $at, $zero_key, $copy = {segment_confidence: 0.0, segment_low_confidence: true, …}.
MATCH (z:Segment {segment_key: $zero_key})<-[m:IN_SEGMENT]-(u:User)
WHERE m.missing
CALL (u, z) {
  SET u.segment = z.name, u.segment_fr = z.name_fr, u.segment_id = z.segment_id,
      u.segmented_at = datetime($at), u.segment_run = $run_id,
      u.segment_confidence = $copy.segment_confidence, u.segment_low_confidence = $copy.segment_low_confidence
} IN TRANSACTIONS OF 10000 ROWS
