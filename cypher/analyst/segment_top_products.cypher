// @question: Which products does a segment buy much more than the average customer (top products by lift)?
// @param segment: string e.g. "Window shoppers"
// @param min_buyers: int = 3
// @param limit: int = 20
// @returns: product_id, brand, category_code, price, buyers (segment customers who bought it), buyer_share
//   (buyers / segment buyers), all_buyers, all_share (all_buyers / all buyers), lift (buyer_share / all_share)
// @cost: per-segment
// $segment: English or French current segment name (string); $min_buyers: ignore products fewer segment
// customers bought (int); $limit (int). A buyer is a customer with a PURCHASED relationship.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[:IN_SEGMENT]-(u:User)
WHERE EXISTS { (u)-[:PURCHASED]->() }
WITH s, collect(u) AS seg_buyers
CALL () { MATCH (b:User) WHERE EXISTS { (b)-[:PURCHASED]->() } RETURN count(b) AS all_buyer_count }
UNWIND seg_buyers AS u
MATCH (u)-[:PURCHASED]->(p:Product)
WITH p, count(DISTINCT u) AS buyers, size(seg_buyers) AS seg_buyer_count, all_buyer_count
WHERE buyers >= $min_buyers
WITH p, buyers, seg_buyer_count, all_buyer_count, COUNT { (p)<-[:PURCHASED]-(:User) } AS all_buyers
OPTIONAL MATCH (p)-[:OF_BRAND]->(b:Brand)
OPTIONAL MATCH (p)-[:IN_CATEGORY]->(c:Category)
WITH p, b, c, buyers, all_buyers, toFloat(buyers) / seg_buyer_count AS buyer_share,
     toFloat(all_buyers) / all_buyer_count AS all_share
RETURN p.product_id AS product_id, b.name AS brand, c.code AS category_code, p.price AS price,
       buyers, buyer_share, all_buyers, all_share, buyer_share / all_share AS lift
ORDER BY lift DESC, buyers DESC, product_id
LIMIT $limit
