// @question: Which categories does a segment buy in much more than the average customer (top categories by lift)?
// @param segment: string e.g. "Window shoppers"
// @param min_purchases: int = 3
// @param limit: int = 20
// @returns: category_id, category_code, purchases (segment customer-product purchase pairs in the category),
//   share (of the segment's pairs), all_purchases, all_share (of all pairs), lift (share / all_share)
// @cost: per-segment
// $segment: English or French current segment name (string); $min_purchases: ignore categories with fewer
// segment pairs (int); $limit (int). A purchase pair is one (:User)-[:PURCHASED]->(:Product) relationship.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[:IN_SEGMENT]-(:User)-[:PURCHASED]->(:Product)-[:IN_CATEGORY]->(c:Category)
WITH c, count(*) AS purchases
WITH collect({c: c, n: purchases}) AS rows, sum(purchases) AS seg_total
CALL () { MATCH ()-[r:PURCHASED]->() RETURN count(r) AS all_total }
UNWIND rows AS row
WITH row.c AS c, row.n AS purchases, seg_total, all_total
WHERE purchases >= $min_purchases
CALL (c) { MATCH (c)<-[:IN_CATEGORY]-(p:Product) RETURN sum(COUNT { (p)<-[:PURCHASED]-() }) AS all_purchases }
WITH c, purchases, all_purchases, toFloat(purchases) / seg_total AS share, toFloat(all_purchases) / all_total AS all_share
RETURN c.category_id AS category_id, c.code AS category_code, purchases, share, all_purchases, all_share,
       share / all_share AS lift
ORDER BY lift DESC, purchases DESC, category_id
LIMIT $limit
