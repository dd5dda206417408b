// Creates the cosine vector index `user_embedding` on User.embedding with $dimensions (INTEGER) dimensions.
// Quantization off: exact cosine scores (the vectors are small). Idempotent (IF NOT EXISTS); graph/vectors.py
// drops it first when the dimensions changed.
CREATE VECTOR INDEX user_embedding IF NOT EXISTS
FOR (u:User) ON u.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false}}
