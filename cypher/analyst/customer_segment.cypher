// @question: Which segment is this customer in, and why: their metrics next to their segment's averages?
// @param user_id: int e.g. -4611686018427387904
// @returns: one row per metric: user_id, segment, confidence, low_confidence, metric, customer (their value),
//   segment_avg (over the customers of their segment, missing values skipped), ratio (customer / segment_avg)
// @cost: per-segment
// $user_id: the stored pseudonym (User.user_id, int), e.g. -4611686018427387904 (`shopgraph recommend`
// takes the shop's raw id instead). The averages are the segment's figures stored on its Segment node when
// the run was written (segments/figures.py, `avg_<metric>`): no member scan, whatever the segment's size.
OPTIONAL MATCH (pointer:CurrentSegmentation)
OPTIONAL MATCH (f:FeaturesOnGraph)  // recency: from u.last_seen to the end of the data the features were written for
WITH pointer.run_id AS current_run, f.window_end AS window_end
MATCH (u:User {user_id: $user_id})
OPTIONAL MATCH (u)-[m:IN_SEGMENT]->(s:Segment {run_id: current_run})
UNWIND ['n_events', 'n_sessions', 'n_orders', 'total_spent', 'recency_days', 'purchase_rate',
        'cart_abandonment_rate', 'promo_share', 'price_index_bought', 'distinct_categories'] AS metric
WITH u, s, m, metric, s['avg_' + metric] AS segment_avg,
     CASE metric WHEN 'recency_days' THEN duration.inSeconds(u.last_seen, window_end).seconds / 86400.0
                 ELSE u[metric] END AS customer
RETURN u.user_id AS user_id, s.name AS segment, m.confidence AS confidence,
       m.low_confidence AS low_confidence, metric, customer, segment_avg,
       CASE WHEN customer IS NULL OR segment_avg IS NULL OR segment_avg = 0 THEN null
            ELSE toFloat(customer) / segment_avg END AS ratio
