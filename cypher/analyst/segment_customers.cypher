// @question: Who are the customers of a segment, filtered by recency and value (e.g. recent big spenders)?
// @param segment: string e.g. "Window shoppers"
// @param max_recency_days: float = 30.0
// @param min_spent: float = 0.0
// @param limit: int = 100
// @returns: user_id (pseudonym), confidence, recency_days, total_spent, n_orders, rfm_code; biggest spenders first
// @cost: per-segment
// $segment: English or French name of a current segment (string); $max_recency_days: last seen at most
// this many days before the end of the data (float); $min_spent: total_spent at least (float); $limit (int).
// Recency is read from u.last_seen against the end of the data window the features were written for.
// Once the run's User copy is done, every member carries (segment_run, segment_id) and the index
// user_segment_spent yields them biggest spender first: $limit members are read, whatever the segment's size.
// During the copy (minutes after a switch) the run's IN_SEGMENT: every member is read, then sorted (seconds for a
// segment of millions). Both give the same rows (tests/integration/test_analyst_queries.py).
MATCH (pointer:CurrentSegmentation), (f:FeaturesOnGraph)
WITH pointer, f.window_end AS window_end, f.window_end - duration({seconds: $max_recency_days * 86400}) AS since
MATCH (r:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
CALL (r, s, since) {
  WITH r, s WHERE r.user_copy = 'done'
  MATCH (u:User) USING INDEX u:User(segment_run, segment_id, total_spent)
  WHERE u.segment_run = r.run_id AND u.segment_id = s.segment_id AND u.total_spent >= $min_spent
    AND u.last_seen >= since
  RETURN u, u.segment_confidence AS confidence
  ORDER BY u.segment_run DESC, u.segment_id DESC, u.total_spent DESC, u.last_seen DESC, u.user_id  // the index's order
  LIMIT $limit
  UNION ALL
  WITH r, s WHERE coalesce(r.user_copy, '') <> 'done'
  MATCH (s)<-[m:IN_SEGMENT]-(u:User)
  WHERE u.last_seen >= since AND coalesce(u.total_spent, 0.0) >= $min_spent
  RETURN u, m.confidence AS confidence
  ORDER BY coalesce(u.total_spent, 0.0) DESC, u.last_seen DESC, u.user_id
  LIMIT $limit
}
RETURN u.user_id AS user_id, confidence, duration.inSeconds(u.last_seen, window_end).seconds / 86400.0 AS recency_days,
       coalesce(u.total_spent, 0.0) AS total_spent, coalesce(u.n_orders, 0) AS n_orders, u.rfm_code AS rfm_code
ORDER BY total_spent DESC, recency_days, user_id
LIMIT $limit
