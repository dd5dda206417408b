// Removes User.embedding from users the current vector file does not hold (a vector from an older file, or a
// customer now under the write's min_events). In transactions of 10 000 users: at REES46 size millions can
// lose theirs at once, more than one transaction's memory holds. Run in an auto-commit transaction.
// Parameters: $stamp = STRING (the stamp of the write that just finished).
MATCH (u:User)
WHERE u.embedding IS NOT NULL AND (u.embedding_at IS NULL OR u.embedding_at <> $stamp)
CALL (u) {
  REMOVE u.embedding, u.embedding_at
} IN TRANSACTIONS OF 10000 ROWS
RETURN count(u) AS removed
