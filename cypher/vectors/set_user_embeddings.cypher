// Sets User.embedding (list of floats) and the stamp of the vector file on existing users; others are skipped.
// Returns the ids of the users written (the record of what the graph holds: graph/vectors.py).
// Parameters: $user_ids = LIST<INTEGER>, $vectors = LIST<LIST<FLOAT>> (aligned column lists: cheap to send),
// $stamp = STRING (identifies this write).
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (u:User {user_id: $user_ids[i]})
SET u.embedding = $vectors[i], u.embedding_at = $stamp
RETURN collect(u.user_id) AS matched
