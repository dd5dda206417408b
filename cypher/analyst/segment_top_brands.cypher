// @question: Which brands does a segment buy much more than the average customer (top brands by lift)?
// @param segment: string e.g. "Window shoppers"
// @param min_purchases: int = 3
// @param limit: int = 20
// @returns: brand, purchases (segment customer-product purchase pairs of the brand), share (of the segment's
//   pairs), all_purchases, all_share (of all pairs), lift (share / all_share)
// @cost: per-segment
// $segment: English or French current segment name (string); $min_purchases: ignore brands with fewer
// segment pairs (int); $limit (int). Products without a brand are left out of both shares' numerators only.
// Reads the counts stored on the Segment node when the run was written (segments/figures.py: `brands`,
// `brand_purchases`, `brand_all_purchases`, `brand_pairs`, `all_purchase_pairs`): no member scan.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
UNWIND range(0, size(coalesce(s.brands, [])) - 1) AS i
WITH s, s.brands[i] AS brand, s.brand_purchases[i] AS purchases, s.brand_all_purchases[i] AS all_purchases
WHERE purchases >= $min_purchases
WITH brand, purchases, all_purchases, toFloat(purchases) / s.brand_pairs AS share,
     toFloat(all_purchases) / s.all_purchase_pairs AS all_share
RETURN brand, purchases, share, all_purchases, all_share, share / all_share AS lift
ORDER BY lift DESC, purchases DESC, brand
LIMIT $limit
