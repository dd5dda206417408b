// Adds a file's remove_from_cart events to (:User)-[:REMOVED]->(:Product): count adds up, first/last widen.
// Parameters: $rows = [{user_id, product_id, count, first_at, last_at (epoch ms)}]. Additive:
// run once per file, guarded by the file's load cursor. Users and products exist already.
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
MATCH (p:Product {product_id: row.product_id})
MERGE (u)-[r:REMOVED]->(p)
ON CREATE SET r.count = row.count,
              r.first_at = datetime({epochMillis: row.first_at}), r.last_at = datetime({epochMillis: row.last_at})
ON MATCH SET r.count = r.count + row.count,
             r.first_at = CASE WHEN datetime({epochMillis: row.first_at}) < r.first_at
                               THEN datetime({epochMillis: row.first_at}) ELSE r.first_at END,
             r.last_at = CASE WHEN datetime({epochMillis: row.last_at}) > r.last_at
                              THEN datetime({epochMillis: row.last_at}) ELSE r.last_at END
