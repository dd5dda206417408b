// Adds a file's cart events to (:User)-[:CARTED]->(:Product): count adds up, first/last widen.
// Parameters: parallel lists $user_id, $product_id, $count, $first_at, $last_at (epoch ms), one entry per (user, product).
// Additive: run once per file, guarded by the file's load cursor. Users and products exist already.
// Lists rather than a list of maps: less to pack, send and read per row (docs/BENCHMARKS.md, "Load").
UNWIND range(0, size($user_id) - 1) AS i
MATCH (u:User {user_id: $user_id[i]})
MATCH (p:Product {product_id: $product_id[i]})
WITH u, p, $count[i] AS count,
     datetime({epochMillis: $first_at[i]}) AS first_at, datetime({epochMillis: $last_at[i]}) AS last_at
MERGE (u)-[r:CARTED]->(p)
ON CREATE SET r.count = count, r.first_at = first_at, r.last_at = last_at
ON MATCH SET r.count = r.count + count,
             r.first_at = CASE WHEN first_at < r.first_at THEN first_at ELSE r.first_at END,
             r.last_at = CASE WHEN last_at > r.last_at THEN last_at ELSE r.last_at END
