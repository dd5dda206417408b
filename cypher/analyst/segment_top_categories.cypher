// @question: Which categories does a segment buy in much more than the average customer (top categories by lift)?
// @param segment: string e.g. "Window shoppers"
// @param min_purchases: int = 3
// @param limit: int = 20
// @returns: category_id, category_code, purchases (segment customer-product purchase pairs in the category),
//   share (of the segment's pairs), all_purchases, all_share (of all pairs), lift (share / all_share)
// @cost: per-segment
// $segment: English or French current segment name (string); $min_purchases: ignore categories with fewer
// segment pairs (int); $limit (int). A purchase pair is one (:User)-[:PURCHASED]->(:Product) relationship.
// Reads the counts stored on the Segment node when the run was written (segments/figures.py: `category_ids`,
// `category_purchases`, `category_all_purchases`, `category_pairs`, `all_purchase_pairs`): no member scan.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
UNWIND range(0, size(coalesce(s.category_ids, [])) - 1) AS i
WITH s, s.category_ids[i] AS category_id, s.category_purchases[i] AS purchases,
     s.category_all_purchases[i] AS all_purchases
WHERE purchases >= $min_purchases
WITH category_id, purchases, all_purchases, toFloat(purchases) / s.category_pairs AS share,
     toFloat(all_purchases) / s.all_purchase_pairs AS all_share
WITH category_id, purchases, all_purchases, share, all_share, share / all_share AS lift
ORDER BY lift DESC, purchases DESC, category_id
LIMIT $limit
MATCH (c:Category {category_id: category_id})
RETURN c.category_id AS category_id, c.code AS category_code, purchases, share, all_purchases, all_share, lift
ORDER BY lift DESC, purchases DESC, category_id
