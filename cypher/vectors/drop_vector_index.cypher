// Drops the vector index `user_embedding` (before re-creating it with other dimensions). Parameters: none.
DROP INDEX user_embedding IF EXISTS
