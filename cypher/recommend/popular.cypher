// Scores products by recency-weighted buyers over everyone, optionally within one department (graph/recommend.py).
// Parameters: $department = STRING (first level of the category code, e.g. 'electronics'; '' = every product),
// $half_life_days = FLOAT, $min_buyers = INTEGER, $limit = INTEGER.
// Never a product whose current price is 0 or missing (data dirt: nothing to sell at that price).
// Returns product_id, score, buyers; best first.
MATCH (u:User)-[r:PURCHASED]->(p:Product)
WHERE $department = '' OR EXISTS {
  (p)-[:IN_CATEGORY]->(c:Category) WHERE c.code = $department OR c.code STARTS WITH $department + '.'
}
WITH collect({p: p, at: r.last_at}) AS rows, max(r.last_at) AS ref
UNWIND rows AS row
WITH row.p AS p, count(*) AS buyers,
     sum(exp(-log(2.0) * duration.inSeconds(row.at, ref).seconds / 86400.0 / $half_life_days)) AS score
WHERE buyers >= $min_buyers AND p.price > 0
RETURN p.product_id AS product_id, score, buyers
ORDER BY score DESC, product_id
LIMIT $limit
