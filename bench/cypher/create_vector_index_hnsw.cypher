// bench/vector_index.py: `user_embedding` as cypher/vectors/create_vector_index.cypher makes it, with the HNSW
// settings given. Parameters: $dimensions, $m (vector.hnsw.m), $ef (vector.hnsw.ef_construction), INTEGERs.
CREATE VECTOR INDEX user_embedding IF NOT EXISTS
FOR (u:User) ON u.embedding
OPTIONS {indexConfig: {`vector.dimensions`: $dimensions, `vector.similarity_function`: 'cosine',
                       `vector.quantization.enabled`: false, `vector.hnsw.m`: $m,
                       `vector.hnsw.ef_construction`: $ef}}
