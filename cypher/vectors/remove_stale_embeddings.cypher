// Removes User.embedding from users the current vector file does not hold (a vector from an older file).
// Parameters: $stamp = STRING (the stamp of the write that just finished).
MATCH (u:User)
WHERE u.embedding IS NOT NULL AND (u.embedding_at IS NULL OR u.embedding_at <> $stamp)
REMOVE u.embedding, u.embedding_at
RETURN count(u) AS removed
