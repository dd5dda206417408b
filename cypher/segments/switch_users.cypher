// Sets the run's segment on a batch of User nodes (inside the one switch transaction, or one batch of the
// User copy that follows a switch too big for one transaction).
// Parameters: $run_id, $at (ISO datetime string),
// $rows = [{user_id: INTEGER, segment_id: INTEGER, segment: STRING, segment_fr: STRING,
//           confidence: FLOAT, low_confidence: BOOLEAN}].
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
SET u.segment = row.segment, u.segment_fr = row.segment_fr, u.segment_id = row.segment_id,
    u.segment_confidence = row.confidence, u.segment_low_confidence = row.low_confidence,
    u.segmented_at = datetime($at), u.segment_run = $run_id
