// bench/segment_writeback.py: the likely segments' write before the aligned lists (a map per row), for the comparison.
// Parameters: $stamp (STRING), $rows = [{user_id, segment_id, segment, segment_fr, confidence}].
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
SET u.likely_segment = row.segment, u.likely_segment_fr = row.segment_fr, u.likely_segment_id = row.segment_id,
    u.likely_segment_confidence = row.confidence, u.likely_segment_stamp = $stamp
RETURN count(u) AS written
