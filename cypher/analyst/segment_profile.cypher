// @question: What does one segment look like: its description, traits and actions, and its customers' average metrics?
// @param segment: string e.g. "Window shoppers"
// @returns: segment, description, traits (list), actions (list), customers, buyers, conversion, revenue,
//   avg_total_spent, avg_n_orders, avg_recency_days, avg_purchase_rate, avg_promo_share,
//   avg_price_index_bought, avg_n_events (averages over the segment's customers; missing metrics skipped)
// @cost: per-segment
// $segment: the English or French segment name of the current run (string). Reads the figures stored on
// the Segment node when the run was written (segments/figures.py): no member scan. No row for an empty segment.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE (s.name = $segment OR s.name_fr = $segment) AND s.customers > 0
RETURN s.name AS segment, s.description AS description, s.traits AS traits, s.actions AS actions,
       s.customers AS customers, s.buyers AS buyers, toFloat(s.buyers) / s.customers AS conversion,
       s.revenue AS revenue, s.revenue / s.customers AS avg_total_spent,
       toFloat(s.orders) / s.customers AS avg_n_orders,
       s.avg_recency_days AS avg_recency_days, s.avg_purchase_rate AS avg_purchase_rate,
       s.avg_promo_share AS avg_promo_share, s.avg_price_index_bought AS avg_price_index_bought,
       s.avg_n_events AS avg_n_events
