// The likely segment of the customers under the activity threshold (issue 21 §2), written after the switch:
// a batch of $rows sets it, stamped with $stamp (the assignments' SHA-256); with $rows = [] and $clear = true,
// every User still carrying another stamp loses it (no longer under the threshold, or no guess any more).
// User.segment stays "Not enough activity yet" for them: the guess never mixes with the reliable label.
// Parameters: $stamp (STRING), $clear (BOOLEAN),
// $rows = [{user_id: INTEGER, segment_id: INTEGER, segment: STRING, segment_fr: STRING, confidence: FLOAT}].
CALL {
  UNWIND $rows AS row
  MATCH (u:User {user_id: row.user_id})
  SET u.likely_segment = row.segment, u.likely_segment_fr = row.segment_fr, u.likely_segment_id = row.segment_id,
      u.likely_segment_confidence = row.confidence, u.likely_segment_stamp = $stamp
  RETURN count(u) AS written
}
CALL {
  MATCH (u:User)
  WHERE $clear AND u.likely_segment_stamp IS NOT NULL AND u.likely_segment_stamp <> $stamp
  REMOVE u.likely_segment, u.likely_segment_fr, u.likely_segment_id, u.likely_segment_confidence,
         u.likely_segment_stamp
  RETURN count(u) AS cleared
}
RETURN written, cleared
