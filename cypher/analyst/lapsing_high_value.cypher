// @question: Which high-value customers have gone quiet (churn risk, for a win-back campaign)?
// @param min_rfm_m: int = 4
// @param min_recency_days: float = 45.0
// @param limit: int = 100
// @returns: user_id (pseudonym), segment, total_spent, n_orders, rfm_code, recency_days; biggest spenders first
// @cost: global
// $min_rfm_m: monetary RFM score at least (int 1..5; 5 = top fifth of spend); $min_recency_days: no event
// at all in the last this many days of the data (float); $limit (int).
OPTIONAL MATCH (pointer:CurrentSegmentation)
MATCH (f:FeaturesOnGraph)  // recency: from u.last_seen to the end of the data the features were written for
WITH pointer.run_id AS current_run, f.window_end AS window_end
MATCH (u:User)
WHERE u.rfm_m >= $min_rfm_m AND u.last_seen <= window_end - duration({seconds: $min_recency_days * 86400})
RETURN u.user_id AS user_id,
       [(u)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) | x.name][0] AS segment,
       u.total_spent AS total_spent, u.n_orders AS n_orders,
       u.rfm_code AS rfm_code, duration.inSeconds(u.last_seen, window_end).seconds / 86400.0 AS recency_days
ORDER BY total_spent DESC, user_id
LIMIT $limit
