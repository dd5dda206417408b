// Deletes users (GDPR erasure) with all their relationships; returns how many nodes went.
// Parameters: $user_ids = list of stored user ids (pseudonyms).
MATCH (u:User) WHERE u.user_id IN $user_ids
DETACH DELETE u
RETURN count(*) AS deleted
