// Creates the cosine vector index `user_embedding` on User.embedding with $dimensions (INTEGER) dimensions and
// the HNSW settings $m (vector.hnsw.m) and $ef_construction (vector.hnsw.ef_construction), INTEGERs
// (graph/vectors.py). Quantization off: exact cosine scores (the vectors are small). Idempotent (IF NOT
// EXISTS); graph/vectors.py drops it first when the dimensions or the settings changed.
CREATE VECTOR INDEX user_embedding IF NOT EXISTS
FOR (u:User) ON u.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false, `vector.hnsw.m`: $m,
                       `vector.hnsw.ef_construction`: $ef_construction}}
