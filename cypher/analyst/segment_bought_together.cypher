// @question: Which pairs of products are bought by the same customers within a segment (bundles, cross-sell)?
// @param segment: string e.g. "Window shoppers"
// @param min_customers: int = 2
// @param limit: int = 20
// @returns: product_a, product_b (product_a < product_b), customers (segment customers who bought both),
//   brand_a, brand_b; most shared first
// @cost: per-segment
// $segment: English or French current segment name (string); $min_customers: smallest number of customers
// who bought both (int); $limit (int). "Together" means by the same customer, at any time in the data.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[:IN_SEGMENT]-(u:User)-[:PURCHASED]->(a:Product)
MATCH (u)-[:PURCHASED]->(b:Product)
WHERE a.product_id < b.product_id
WITH a, b, count(DISTINCT u) AS customers
WHERE customers >= $min_customers
OPTIONAL MATCH (a)-[:OF_BRAND]->(ba:Brand)
OPTIONAL MATCH (b)-[:OF_BRAND]->(bb:Brand)
RETURN a.product_id AS product_a, b.product_id AS product_b, customers, ba.name AS brand_a, bb.name AS brand_b
ORDER BY customers DESC, product_a, product_b
LIMIT $limit
