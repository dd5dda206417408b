// @question: Who are the customers of a segment, filtered by recency and value (e.g. recent big spenders)?
// @param segment: string e.g. "Window shoppers"
// @param max_recency_days: float = 30.0
// @param min_spent: float = 0.0
// @param limit: int = 100
// @returns: user_id (pseudonym), confidence, recency_days, total_spent, n_orders, rfm_code; biggest spenders first
// @cost: per-segment
// $segment: English or French name of a current segment (string); $max_recency_days: last seen at most
// this many days before the end of the data (float); $min_spent: total_spent at least (float); $limit (int).
// A segment of up to 100,000 customers: its members are read, then sorted. A larger one (at REES46 size,
// "Not enough activity yet" holds millions): customers are walked biggest spender first along the index
// user_total_spent, keeping the segment's members, until $limit are found (docs/BENCHMARKS.md, queries).
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
CALL (s) {
  WITH s WHERE coalesce(s.size, 0) <= 100000
  MATCH (s)<-[m:IN_SEGMENT]-(u:User)
  WHERE u.recency_days <= $max_recency_days AND coalesce(u.total_spent, 0.0) >= $min_spent
  RETURN u, m
  ORDER BY coalesce(u.total_spent, 0.0) DESC, u.recency_days, u.user_id
  LIMIT $limit
  UNION ALL
  WITH s, CASE WHEN s.size > 100000 THEN $min_spent END AS floor  // null: no walk (the seek reads nothing)
  MATCH (u:User) USING INDEX u:User(total_spent)
  WHERE u.total_spent >= floor
  MATCH (u)-[m:IN_SEGMENT]->(s)
  WHERE u.recency_days <= $max_recency_days
  RETURN u, m
  ORDER BY u.total_spent DESC, u.recency_days, u.user_id
  LIMIT $limit
}
RETURN u.user_id AS user_id, m.confidence AS confidence, u.recency_days AS recency_days,
       coalesce(u.total_spent, 0.0) AS total_spent, coalesce(u.n_orders, 0) AS n_orders, u.rfm_code AS rfm_code
ORDER BY total_spent DESC, recency_days, user_id
LIMIT $limit
