// @question: Who are the customers of a segment, filtered by recency and value (e.g. recent big spenders)?
// @param segment: string e.g. "Window shoppers"
// @param max_recency_days: float = 30.0
// @param min_spent: float = 0.0
// @param limit: int = 100
// @returns: user_id (pseudonym), confidence, recency_days, total_spent, n_orders, rfm_code; biggest spenders first
// @cost: per-segment
// $segment: English or French name of a current segment (string); $max_recency_days: last seen at most
// this many days before the end of the data (float); $min_spent: total_spent at least (float); $limit (int).
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[m:IN_SEGMENT]-(u:User)
WHERE u.recency_days <= $max_recency_days AND coalesce(u.total_spent, 0.0) >= $min_spent
RETURN u.user_id AS user_id, m.confidence AS confidence, u.recency_days AS recency_days,
       coalesce(u.total_spent, 0.0) AS total_spent, coalesce(u.n_orders, 0) AS n_orders, u.rfm_code AS rfm_code
ORDER BY total_spent DESC, recency_days, user_id
LIMIT $limit
