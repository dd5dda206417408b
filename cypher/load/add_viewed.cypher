// Adds a file's view events to (:User)-[:VIEWED]->(:Product): count adds up, first/last widen.
// Parameters: $rows = [{user_id, product_id, count, first_at, last_at (epoch ms)}]. Additive:
// run once per file, guarded by the file's load cursor. Users and products exist already.
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
MATCH (p:Product {product_id: row.product_id})
WITH u, p, row, datetime({epochMillis: row.first_at}) AS first_at, datetime({epochMillis: row.last_at}) AS last_at
MERGE (u)-[r:VIEWED]->(p)
ON CREATE SET r.count = row.count, r.first_at = first_at, r.last_at = last_at
ON MATCH SET r.count = r.count + row.count,
             r.first_at = CASE WHEN first_at < r.first_at THEN first_at ELSE r.first_at END,
             r.last_at = CASE WHEN last_at > r.last_at THEN last_at ELSE r.last_at END
