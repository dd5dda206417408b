// @question: Who left products in their cart without buying them afterwards, and which products (for reminder e-mails)?
// @param since: date = "2019-11-01"
// @param segment: string = ""
// @param limit: int = 100
// @returns: user_id (pseudonym), segment, products (product ids still in the cart), n_products,
//   cart_value (sum of the products' current prices), last_carted; biggest carts first
// @cost: global
// $since: only carts touched on or after this day, YYYY-MM-DD (date); $segment: only customers whose
// segment in the current run (the :CurrentSegmentation pointer) is this name, "" for everyone (string);
// $limit (int). A product is abandoned when the customer carted it and has no purchase of it at or after their last cart event of it.
OPTIONAL MATCH (pointer:CurrentSegmentation)
WITH pointer.run_id AS current_run
MATCH (u:User)-[c:CARTED]->(p:Product)
WHERE c.last_at >= datetime({date: $since})
  AND ($segment = ''
       OR EXISTS { (u)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) WHERE x.name = $segment })
  AND NOT EXISTS { (u)-[b:PURCHASED]->(p) WHERE b.last_at >= c.last_at }
WITH current_run, u, p, c ORDER BY p.product_id
WITH current_run, u, collect(p.product_id) AS products, sum(coalesce(p.price, 0.0)) AS cart_value,
     max(c.last_at) AS last_carted
RETURN u.user_id AS user_id,
       [(u)-[:IN_SEGMENT]->(x:Segment {run_id: current_run}) | x.name][0] AS segment,
       products, size(products) AS n_products, cart_value, last_carted
ORDER BY cart_value DESC, user_id
LIMIT $limit
