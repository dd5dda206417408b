// @question: Which products does a segment buy much more than the average customer (top products by lift)?
// @param segment: string e.g. "Window shoppers"
// @param min_buyers: int = 3
// @param limit: int = 20
// @returns: product_id, brand, category_code, price, buyers (segment customers who bought it), buyer_share
//   (buyers / segment buyers), all_buyers, all_share (all_buyers / all buyers), lift (buyer_share / all_share)
// @cost: per-segment
// $segment: English or French current segment name (string); $min_buyers: ignore products fewer segment
// customers bought (int, 2 at least: products one customer bought are not kept); $limit (int, up to 1000).
// A buyer is a customer with a PURCHASED relationship. Reads the segment's top 1000 products by lift stored
// on the Segment node when the run was written (segments/figures.py: `product_ids`, `product_buyers`,
// `product_all_buyers`, `product_segment_buyers`, `all_product_buyers`): no member scan.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
UNWIND range(0, size(coalesce(s.product_ids, [])) - 1) AS i
WITH s, s.product_ids[i] AS product_id, s.product_buyers[i] AS buyers, s.product_all_buyers[i] AS all_buyers
WHERE buyers >= $min_buyers
WITH product_id, buyers, all_buyers, toFloat(buyers) / s.product_segment_buyers AS buyer_share,
     toFloat(all_buyers) / s.all_product_buyers AS all_share
WITH product_id, buyers, all_buyers, buyer_share, all_share, buyer_share / all_share AS lift
ORDER BY lift DESC, buyers DESC, product_id
LIMIT $limit
MATCH (p:Product {product_id: product_id})
OPTIONAL MATCH (p)-[:OF_BRAND]->(b:Brand)
OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c:Category)
RETURN p.product_id AS product_id, b.name AS brand, c.code AS category_code, p.price AS price,
       buyers, buyer_share, all_buyers, all_share, lift
ORDER BY lift DESC, buyers DESC, product_id
