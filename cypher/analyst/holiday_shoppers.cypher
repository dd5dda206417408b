// @question: Which customers come alive during promotions (Black Friday, Cyber Monday, Christmas), to target before the next Black Friday?
// @param min_promo_lift: float = 1.5
// @param min_orders: int = 1
// @param segment: string = ""
// @param limit: int = 100
// @returns: user_id (pseudonym), segment, promo_lift, promo_share, preferred_month, n_orders, total_spent;
//   strongest promotion response first, then biggest spenders
// @cost: global
// $min_promo_lift: events per promotion day over their usual events per day, at least (float; 2 = twice as
// active; promotion days come from the marketing calendar of `shopgraph features`); $min_orders: at least this
// many orders (int); $segment: segment name in the current run (the :CurrentSegmentation pointer), "" for
// everyone (string); $limit (int).
OPTIONAL MATCH (pointer:CurrentSegmentation)
WITH pointer.run_id AS current_run
MATCH (u:User)
WHERE u.promo_lift >= $min_promo_lift AND u.n_orders >= $min_orders
  AND ($segment = ''
       OR EXISTS { (u)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) WHERE x.name = $segment })
RETURN u.user_id AS user_id,
       [(u)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) | x.name][0] AS segment,
       u.promo_lift AS promo_lift, u.promo_share AS promo_share,
       u.preferred_month AS preferred_month, u.n_orders AS n_orders, u.total_spent AS total_spent
ORDER BY promo_lift DESC, total_spent DESC, user_id
LIMIT $limit
