// Sets User.embedding (list of floats) and the stamp of the vector file on existing users; others are skipped.
// Returns the ids of the users written (the record of what the graph holds: graph/vectors.py).
// Each user is found by its node id, checked against its user_id (graph/node_ids.py).
// Parameters: $user_ids, $node_ids = LIST<INTEGER>, $vectors = LIST<LIST<FLOAT>> (aligned column lists: cheap to send),
// $stamp = STRING (identifies this write).
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (u)
WHERE id(u) = $node_ids[i] AND u.user_id = $user_ids[i]
SET u.embedding = $vectors[i], u.embedding_at = $stamp
RETURN collect(u.user_id) AS matched
