// bench/segment_writeback.py: the likely segments' write before it compared with the graph (1cfe680's
// cypher/segments/set_likely.cypher, every guess stamped with the assignments' SHA-256), for the comparison.
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = $node_ids[i] AND u.user_id = $user_ids[i]
SET u.likely_segment = $names[toString($segment_ids[i])][0],
    u.likely_segment_fr = $names[toString($segment_ids[i])][1],
    u.likely_segment_id = $segment_ids[i], u.likely_segment_confidence = $confidences[i],
    u.likely_segment_stamp = $stamp
RETURN count(u) AS written
