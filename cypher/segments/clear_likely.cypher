// Up to $limit users whose likely segment carries another stamp than $stamp (no longer under the threshold,
// or no guess any more) lose it; called until it clears none, so no transaction grows with the shop.
// Parameters: $stamp (STRING), $limit (INTEGER).
MATCH (u:User)
WHERE u.likely_segment_stamp IS NOT NULL AND u.likely_segment_stamp <> $stamp
WITH u LIMIT $limit
REMOVE u.likely_segment, u.likely_segment_fr, u.likely_segment_id, u.likely_segment_confidence,
       u.likely_segment_stamp
RETURN count(u) AS cleared
