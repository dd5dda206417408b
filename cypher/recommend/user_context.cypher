// What recommending to one customer needs: their current segment, department and the products they bought.
// Parameters: $user_ids = LIST<INTEGER> (stored pseudonyms). Returns one row per customer found: user_id,
// segment, segment_id (null when not in a current segment), top_category, purchased (product ids), interest
// ([{product_id, category_id, n: views + carts}]).
OPTIONAL MATCH (pointer:CurrentSegmentation)
WITH pointer.run_id AS current_run
UNWIND $user_ids AS id
MATCH (u:User {user_id: id})
OPTIONAL MATCH (u)-[:IN_SEGMENT]->(s:Segment {run_id: current_run})
RETURN u.user_id AS user_id, s.name AS segment, s.segment_id AS segment_id,
       u.top_category AS top_category, [(u)-[:PURCHASED]->(p:Product) | p.product_id] AS purchased,
       [(u)-[r:VIEWED|CARTED]->(p:Product) | {product_id: p.product_id, n: r.count,
          category_id: [(p)-[:IN_CATEGORY]->(c:Category) | c.category_id][0]}] AS interest
