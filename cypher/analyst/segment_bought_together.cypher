// @question: Which pairs of products are bought by the same customers within a segment (bundles, cross-sell)?
// @param segment: string e.g. "Window shoppers"
// @param min_customers: int = 2
// @param limit: int = 20
// @returns: product_a, product_b (product_a < product_b), customers (segment customers who bought both),
//   brand_a, brand_b; most shared first
// @cost: per-segment
// $segment: English or French current segment name (string); $min_customers: smallest number of customers
// who bought both (int, 2 at least: pairs one customer bought are not kept); $limit (int, up to 1000).
// "Together" means by the same customer, at any time in the data. Reads the segment's 1000 most shared
// pairs stored on the Segment node when the run was written (segments/figures.py: `together_a`,
// `together_b`, `together_customers`): no member scan.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
UNWIND range(0, size(coalesce(s.together_a, [])) - 1) AS i
WITH s.together_a[i] AS product_a, s.together_b[i] AS product_b, s.together_customers[i] AS customers
WHERE customers >= $min_customers
ORDER BY customers DESC, product_a, product_b
LIMIT $limit
MATCH (a:Product {product_id: product_a})
MATCH (b:Product {product_id: product_b})
OPTIONAL MATCH (a)-[:OF_BRAND]->(ba:Brand)
OPTIONAL MATCH (b)-[:OF_BRAND]->(bb:Brand)
RETURN product_a, product_b, customers, ba.name AS brand_a, bb.name AS brand_b
ORDER BY customers DESC, product_a, product_b
