// @question: What has this customer bought, and how recently (the basis of their recommendations)?
// @param user_id: int e.g. -4611686018427387904
// @returns: product_id, brand, category_code, purchases (items), amount, last_at; most recent first
// @cost: per-customer
// $user_id: stored pseudonym (User.user_id, int).
MATCH (u:User {user_id: $user_id})-[r:PURCHASED]->(p:Product)
OPTIONAL MATCH (p)-[:OF_BRAND]->(b:Brand)
OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c:Category)
RETURN p.product_id AS product_id, b.name AS brand, c.code AS category_code, r.count AS purchases,
       r.amount AS amount, r.last_at AS last_at
ORDER BY last_at DESC, product_id
