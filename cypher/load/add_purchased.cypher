// Adds a file's purchase events to (:User)-[:PURCHASED]->(:Product): count and amount add up, first/last widen.
// Parameters: parallel lists $user_id, $user_node, $product_id, $product_node, $count, $amount, $first_at, $last_at (epoch ms), one entry per (user, product).
// Additive: run once per file, guarded by the file's load cursor. Users and products exist already.
// Lists rather than a list of maps: less to pack, send and read per row. No WITH before the MERGE (it made
// the planner add an Eager); a datetime is built only where it is stored (docs/BENCHMARKS.md, "Load").
// Each user and product is found by its node id (graph/node_ids.py), checked against its key.
UNWIND range(0, size($user_id) - 1) AS i
MATCH (u)
WHERE id(u) = $user_node[i] AND u.user_id = $user_id[i]
MATCH (p)
WHERE id(p) = $product_node[i] AND p.product_id = $product_id[i]
MERGE (u)-[r:PURCHASED]->(p)
ON CREATE SET r.count = $count[i], r.amount = $amount[i],
              r.first_at = datetime({epochMillis: $first_at[i]}), r.last_at = datetime({epochMillis: $last_at[i]})
ON MATCH SET r.count = r.count + $count[i], r.amount = r.amount + $amount[i],
             r.first_at = CASE WHEN $first_at[i] < r.first_at.epochMillis
                               THEN datetime({epochMillis: $first_at[i]}) ELSE r.first_at END,
             r.last_at = CASE WHEN $last_at[i] > r.last_at.epochMillis
                              THEN datetime({epochMillis: $last_at[i]}) ELSE r.last_at END
