// The likely segment of the customers under the activity threshold (issue 21 §2), written after the switch
// for the users whose guess differs from the graph's (likely_held.cypher); clear_likely.cypher removes the ones
// the run no longer gives. User.segment stays "Not enough activity yet" for them: the guess never mixes with
// the reliable label. The stamp of earlier versions is removed on the way.
// Parameters: aligned lists $user_ids, $node_ids (INTEGER), $segment_ids (INTEGER), $confidences (FLOAT);
// $names = {segment id as STRING: [English name, French name]}. Lists rather than a map per row: less to
// pack, send and read (docs/BENCHMARKS.md, "Segment write-back"). Each user is found by its node id,
// checked against its user_id (graph/node_ids.py).
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = $node_ids[i] AND u.user_id = $user_ids[i]
SET u.likely_segment = $names[toString($segment_ids[i])][0],
    u.likely_segment_fr = $names[toString($segment_ids[i])][1],
    u.likely_segment_id = $segment_ids[i], u.likely_segment_confidence = $confidences[i]
REMOVE u.likely_segment_stamp
RETURN count(u) AS written
