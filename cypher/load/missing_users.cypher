// Which of the given user ids have no (:User) node yet: they can have no relationship either.
// Parameters: $user_id (list of ids). Reads only.
UNWIND $user_id AS id
OPTIONAL MATCH (u:User {user_id: id})
WITH id WHERE u IS NULL
RETURN collect(id) AS missing
