// @question: What does one segment look like: its description, traits and actions, and its customers' average metrics?
// @param segment: string e.g. "Window shoppers"
// @returns: segment, description, traits (list), actions (list), customers, buyers, conversion, revenue,
//   avg_total_spent, avg_n_orders, avg_recency_days, avg_purchase_rate, avg_promo_share,
//   avg_price_index_bought, avg_n_events (averages over the segment's customers; missing metrics skipped)
// @cost: per-segment
// $segment: the English or French segment name of the current run (string).
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[:IN_SEGMENT]-(u:User)
RETURN s.name AS segment, s.description AS description, s.traits AS traits, s.actions AS actions,
       count(u) AS customers, count(CASE WHEN u.n_orders > 0 THEN 1 END) AS buyers,
       toFloat(count(CASE WHEN u.n_orders > 0 THEN 1 END)) / count(u) AS conversion,
       sum(coalesce(u.total_spent, 0.0)) AS revenue,
       avg(coalesce(u.total_spent, 0.0)) AS avg_total_spent, avg(coalesce(u.n_orders, 0)) AS avg_n_orders,
       avg(u.recency_days) AS avg_recency_days, avg(u.purchase_rate) AS avg_purchase_rate,
       avg(u.promo_share) AS avg_promo_share, avg(u.price_index_bought) AS avg_price_index_bought,
       avg(u.n_events) AS avg_n_events
