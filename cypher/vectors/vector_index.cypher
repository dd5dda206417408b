// The vector index `user_embedding` on User.embedding: dimensions, similarity, quantization, HNSW settings; no
// row when absent. Parameters: none.
SHOW INDEXES YIELD name, type, options
WHERE name = 'user_embedding'
RETURN type, options.indexConfig.`vector.dimensions` AS dimensions,
       options.indexConfig.`vector.similarity_function` AS similarity,
       coalesce(options.indexConfig.`vector.quantization.enabled`, false) AS quantized,
       coalesce(options.indexConfig.`vector.hnsw.m`, 16) AS m,
       coalesce(options.indexConfig.`vector.hnsw.ef_construction`, 100) AS ef_construction
