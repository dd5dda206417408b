// The customers below the activity threshold whose likely segment is one current segment (issue 21 §2), for
// `export-segment --include-likely` and `recommend --segment --include-likely`; the same columns as
// segment_members, the confidence being the likely segment's.
// Parameters: $segment = STRING (English or French name). Returns user_id, segment, segment_id, confidence,
// top_category, purchased (product ids), interest ([{product_id, category_id, n: views + carts}]); by user_id.
MATCH (s:Segment {current: true})
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (u:User)
WHERE u.likely_segment_id = s.segment_id AND u.segment_id = 0
RETURN u.user_id AS user_id, s.name AS segment, s.segment_id AS segment_id,
       u.likely_segment_confidence AS confidence,
       u.top_category AS top_category, [(u)-[:PURCHASED]->(p:Product) | p.product_id] AS purchased,
       [(u)-[r:VIEWED|CARTED]->(p:Product) | {product_id: p.product_id, n: r.count,
          category_id: [(p)-[:IN_CATEGORY]->(c:Category) | c.category_id][0]}] AS interest
ORDER BY user_id
