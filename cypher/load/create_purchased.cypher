// Creates the (:User)-[:PURCHASED]->(:Product) edges of a file's purchase events for users new in this file
// (they cannot have any yet, so no MERGE). Parameters: parallel lists $user_id, $user_node, $product_id, $product_node, $count, $amount, $first_at, $last_at (epoch ms).
// Run once per file, guarded by the file's load cursor. Users and products exist already.
// Each user and product is found by its node id (graph/node_ids.py), checked against its key.
UNWIND range(0, size($user_id) - 1) AS i
MATCH (u)
WHERE id(u) = $user_node[i] AND u.user_id = $user_id[i]
MATCH (p)
WHERE id(p) = $product_node[i] AND p.product_id = $product_id[i]
CREATE (u)-[:PURCHASED {count: $count[i], amount: $amount[i],
                 first_at: datetime({epochMillis: $first_at[i]}), last_at: datetime({epochMillis: $last_at[i]})}]->(p)
