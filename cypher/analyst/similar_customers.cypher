// @question: Which customers behave most like this one (nearest neighbours of their vector), e.g. for look-alike audiences?
// @param user_id: int e.g. -4611686018427387904
// @param k: int = 10
// @returns: user_id (the neighbour's pseudonym), segment, score (cosine similarity mapped to 0..1 by Neo4j,
//   1 = same direction); most similar first; the customer themself is left out
// @cost: per-customer
// @index: user_embedding
// $user_id: stored pseudonym (int); $k: how many neighbours (int). Needs User.embedding and the vector
// index `user_embedding` (written by graph/vectors.py; `shopgraph run` writes vectors for customers at
// the segmentation's activity threshold only); no rows when the customer has no vector. Asked k + 1 candidates, the index finds about 0.70
// of the exact 10 nearest (300 k customers); asked 25 it finds more but the p95 went over 50 ms on 5.8 M customers
// (docs/BENCHMARKS.md, "Vector index").
OPTIONAL MATCH (pointer:CurrentSegmentation)
WITH pointer.run_id AS current_run
MATCH (u:User {user_id: $user_id})
WHERE u.embedding IS NOT NULL
CALL db.index.vector.queryNodes('user_embedding', $k + 1, u.embedding)
YIELD node, score
WITH current_run, u, node, score
WHERE node <> u
WITH current_run, node, score
ORDER BY score DESC, node.user_id
LIMIT $k
RETURN node.user_id AS user_id, [(node)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) | x.name][0] AS segment, score
ORDER BY score DESC, user_id
