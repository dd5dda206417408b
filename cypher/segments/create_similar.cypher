// Links customers to their look-alikes (segments/similar.py; the run's similar.parquet); customers
// missing from the graph are skipped. CREATE, not MERGE: drop_similar.cypher has removed every link
// first and the file holds each pair once. Aligned lists, as set_user_features: a map per row costs more to
// send. Each customer is found by its node id, checked against its user_id (graph/node_ids.py).
// Parameters: $user_ids, $node_ids, $other_user_ids, $other_node_ids = LIST<INTEGER>; $scores = LIST<FLOAT>.
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (a)
WHERE id(a) = $node_ids[i] AND a.user_id = $user_ids[i]
MATCH (b)
WHERE id(b) = $other_node_ids[i] AND b.user_id = $other_user_ids[i]
CREATE (a)-[s:SIMILAR {score: $scores[i]}]->(b)
RETURN count(s) AS linked
