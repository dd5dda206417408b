// The users who hold a likely segment the run no longer gives them (now at or above the threshold, or no
// guess any more) lose it. Parameters: aligned lists $user_ids, $node_ids (INTEGER); each user is found by its
// node id, checked against its user_id (graph/node_ids.py).
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = $node_ids[i] AND u.user_id = $user_ids[i]
REMOVE u.likely_segment, u.likely_segment_fr, u.likely_segment_id, u.likely_segment_confidence,
       u.likely_segment_stamp
RETURN count(u) AS cleared
