// The likely segment of the customers under the activity threshold (issue 21 §2), written after the switch
// in batches, each user stamped with $stamp (the assignments' SHA-256). User.segment stays "Not enough activity
// yet" for them: the guess never mixes with the reliable label. clear_likely.cypher removes stale ones.
// Parameters: $stamp (STRING),
// $rows = [{user_id: INTEGER, segment_id: INTEGER, segment: STRING, segment_fr: STRING, confidence: FLOAT}].
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
SET u.likely_segment = row.segment, u.likely_segment_fr = row.segment_fr, u.likely_segment_id = row.segment_id,
    u.likely_segment_confidence = row.confidence, u.likely_segment_stamp = $stamp
RETURN count(u) AS written
