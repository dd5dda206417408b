// @question: Which customers buy mostly below the category's median price, the audience for a promotion?
// @param min_bargain_share: float = 0.6
// @param min_orders: int = 1
// @param segment: string = ""
// @param limit: int = 100
// @returns: user_id (pseudonym), segment, below_median_purchase_share, price_index_bought, promo_lift,
//   n_orders, total_spent; most bargain-driven first
// @cost: global
// $min_bargain_share: smallest share of priced purchases below their category's median price (float 0..1);
// $min_orders: at least this many orders (int); $segment: segment name in the current run (the
// :CurrentSegmentation pointer), "" for everyone (string); $limit (int).
OPTIONAL MATCH (pointer:CurrentSegmentation)
WITH pointer.run_id AS current_run
MATCH (u:User)
WHERE u.below_median_purchase_share >= $min_bargain_share AND u.n_orders >= $min_orders
  AND ($segment = ''
       OR EXISTS { (u)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) WHERE x.name = $segment })
RETURN u.user_id AS user_id,
       [(u)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) | x.name][0] AS segment,
       u.below_median_purchase_share AS below_median_purchase_share,
       u.price_index_bought AS price_index_bought, u.promo_lift AS promo_lift, u.n_orders AS n_orders,
       u.total_spent AS total_spent
ORDER BY below_median_purchase_share DESC, coalesce(u.promo_lift, 0.0) DESC, user_id
LIMIT $limit
