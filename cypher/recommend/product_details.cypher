// Brand, category code and current price of products, to show recommendations.
// Parameters: $product_ids = LIST<INTEGER>. Returns product_id, brand, category, price.
UNWIND $product_ids AS id
MATCH (p:Product {product_id: id})
OPTIONAL MATCH (p)-[:OF_BRAND]->(b:Brand)
OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c:Category)
RETURN p.product_id AS product_id, b.name AS brand, coalesce(c.code, toString(c.category_id)) AS category, p.price AS price
