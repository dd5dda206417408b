// Removes User.embedding from the listed users (those the record says hold a vector the write no longer
// keeps: a customer erased from the vector file, or now under the write's min_events).
// Parameters: $user_ids = LIST<INTEGER>.
UNWIND $user_ids AS id
MATCH (u:User {user_id: id})
WHERE u.embedding IS NOT NULL
REMOVE u.embedding, u.embedding_at
RETURN count(u) AS removed
