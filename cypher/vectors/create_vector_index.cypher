// Creates the cosine vector index `user_embedding` on User.embedding with $dimensions (INTEGER) dimensions.
// Idempotent (IF NOT EXISTS); graph/vectors.py drops it first when the dimensions changed.
CREATE VECTOR INDEX user_embedding IF NOT EXISTS
FOR (u:User) ON u.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine'}}
