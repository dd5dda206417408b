// The customers of one current segment, for batch recommendations and audience exports.
// Parameters: $segment = STRING (English or French name). Returns user_id, segment, segment_id, confidence,
// top_category, purchased (product ids), interest
// ([{product_id, category_id, n: views + carts}]); by user_id.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[m:IN_SEGMENT]-(u:User)
RETURN u.user_id AS user_id, s.name AS segment, s.segment_id AS segment_id, m.confidence AS confidence,
       u.top_category AS top_category, [(u)-[:PURCHASED]->(p:Product) | p.product_id] AS purchased,
       [(u)-[r:VIEWED|CARTED]->(p:Product) | {product_id: p.product_id, n: r.count,
          category_id: [(p)-[:IN_CATEGORY]->(c:Category) | c.category_id][0]}] AS interest
ORDER BY user_id
