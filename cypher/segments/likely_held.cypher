// One page of the likely segments the graph holds (segments/writeback.py, write_likely_segments), in user_id
// order from $from to $upto: what the write compares the run's with, so that only the users whose guess moved are
// written. Parameters: $from, $upto (INTEGER, inclusive bounds), $page (INTEGER, users per page),
// $names = {segment id as STRING: [English name, French name]} of the run. `named`: the names held are the run's for that id.
// The user_id index gives the order (hinted: the likely_segment_id index would find the same users unordered).
MATCH (u:User)
USING INDEX u:User(user_id)
WHERE u.user_id >= $from AND u.user_id <= $upto AND u.likely_segment_id IS NOT NULL
WITH u
ORDER BY u.user_id
LIMIT $page
RETURN collect(u.user_id) AS keys, collect(u.likely_segment_id) AS segment_ids,
       collect(coalesce(u.likely_segment_confidence, -1.0)) AS confidences,
       collect(coalesce(u.likely_segment = $names[toString(u.likely_segment_id)][0]
                        AND u.likely_segment_fr = $names[toString(u.likely_segment_id)][1], false)) AS named
