// Sets User.embedding (list of floats) and the stamp of the vector file on existing users; others are skipped.
// Parameters: $rows = [{user_id: INTEGER, vector: LIST<FLOAT>}], $stamp = STRING (identifies this write).
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
SET u.embedding = row.vector, u.embedding_at = $stamp
RETURN count(u) AS matched
