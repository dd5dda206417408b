// @question: Which brands does a segment buy much more than the average customer (top brands by lift)?
// @param segment: string e.g. "Window shoppers"
// @param min_purchases: int = 3
// @param limit: int = 20
// @returns: brand, purchases (segment customer-product purchase pairs of the brand), share (of the segment's
//   pairs), all_purchases, all_share (of all pairs), lift (share / all_share)
// @cost: per-segment
// $segment: English or French current segment name (string); $min_purchases: ignore brands with fewer
// segment pairs (int); $limit (int). Products without a brand are left out of both shares' numerators only.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[:IN_SEGMENT]-(:User)-[:PURCHASED]->(p:Product)
OPTIONAL MATCH (p)-[:OF_BRAND]->(b:Brand)
WITH b, count(*) AS purchases
WITH collect({b: b, n: purchases}) AS rows, sum(purchases) AS seg_total
CALL () { MATCH ()-[r:PURCHASED]->() RETURN count(r) AS all_total }
UNWIND rows AS row
WITH row.b AS b, row.n AS purchases, seg_total, all_total
WHERE b IS NOT NULL AND purchases >= $min_purchases
CALL (b) { MATCH (b)<-[:OF_BRAND]-(p:Product) RETURN sum(COUNT { (p)<-[:PURCHASED]-() }) AS all_purchases }
WITH b, purchases, all_purchases, toFloat(purchases) / seg_total AS share, toFloat(all_purchases) / all_total AS all_share
RETURN b.name AS brand, purchases, share, all_purchases, all_share, share / all_share AS lift
ORDER BY lift DESC, purchases DESC, brand
LIMIT $limit
