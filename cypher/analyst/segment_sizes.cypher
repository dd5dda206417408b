// @question: How big is each current segment, how much revenue does it bring and how well does it convert?
// @returns: segment_id, segment, customers, share (of all segmented customers), buyers, conversion
//   (buyers / customers), revenue (sum of User.total_spent), revenue_share; largest segment first
// @cost: global
// Parameters: none. Reads the current run (the :CurrentSegmentation pointer): the figures stored on its
// Segment nodes when the run was written (segments/figures.py), no member scan; a buyer is a customer with
// n_orders > 0.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WITH collect({s: s, customers: s.customers, buyers: s.buyers, revenue: s.revenue}) AS rows
WITH rows, reduce(n = 0, r IN rows | n + r.customers) AS all_customers,
     reduce(m = 0.0, r IN rows | m + r.revenue) AS all_revenue
UNWIND rows AS r
RETURN r.s.segment_id AS segment_id, r.s.name AS segment, r.customers AS customers,
       CASE WHEN all_customers = 0 THEN 0.0 ELSE toFloat(r.customers) / all_customers END AS share,
       r.buyers AS buyers,
       CASE WHEN r.customers = 0 THEN 0.0 ELSE toFloat(r.buyers) / r.customers END AS conversion,
       r.revenue AS revenue,
       CASE WHEN all_revenue = 0 THEN 0.0 ELSE r.revenue / all_revenue END AS revenue_share
ORDER BY customers DESC, segment_id
