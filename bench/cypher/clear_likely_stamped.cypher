// bench/segment_writeback.py: 1cfe680's cypher/segments/clear_likely.cypher (the stale stamps, by the stamp index),
// called until it clears none; for the comparison.
MATCH (u:User)
WHERE u.likely_segment_stamp IS NOT NULL AND u.likely_segment_stamp <> $stamp
WITH u LIMIT $limit
REMOVE u.likely_segment, u.likely_segment_fr, u.likely_segment_id, u.likely_segment_confidence,
       u.likely_segment_stamp
RETURN count(u) AS cleared
