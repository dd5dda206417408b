// Creates or updates products: latest price (by event time), min and max price, brand, category and brand edge.
// Parameters: $rows = [{product_id, price, price_at (epoch ms), price_min, price_max, category_id, brand}].
// p.brand is absent while no event names a brand; when files name several, the greatest name wins (the same
// rule as graph/bulk.py, so the order of files does not matter). Idempotent: re-applying a batch changes nothing.
UNWIND $rows AS row
MERGE (p:Product {product_id: row.product_id})
ON CREATE SET p.price = row.price, p.price_at = datetime({epochMillis: row.price_at}),
              p.price_min = row.price_min, p.price_max = row.price_max, p.brand = row.brand
ON MATCH SET p.price_min = CASE WHEN row.price_min < p.price_min THEN row.price_min ELSE p.price_min END,
             p.price_max = CASE WHEN row.price_max > p.price_max THEN row.price_max ELSE p.price_max END,
             p.brand = CASE WHEN p.brand IS NULL OR row.brand > p.brand THEN row.brand ELSE p.brand END,
             p.price = CASE WHEN datetime({epochMillis: row.price_at}) >= p.price_at THEN row.price ELSE p.price END,
             p.price_at = CASE WHEN datetime({epochMillis: row.price_at}) >= p.price_at
                               THEN datetime({epochMillis: row.price_at}) ELSE p.price_at END
WITH p, row
CALL (p, row) {
  WITH p, row WHERE row.category_id IS NOT NULL
  MATCH (c:Category {category_id: row.category_id})
  MERGE (p)-[:IN_CATEGORY]->(c)
}
CALL (p, row) {
  WITH p, row WHERE row.brand IS NOT NULL
  MATCH (b:Brand {name: row.brand})
  MERGE (p)-[:OF_BRAND]->(b)
}
