// The customers of one current segment, for batch recommendations and audience exports.
// Parameters: $segment = STRING (English or French name). Returns user_id, segment, segment_id, confidence,
// top_category, purchased (product ids); by user_id.
MATCH (s:Segment {current: true})
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[m:IN_SEGMENT]-(u:User)
RETURN u.user_id AS user_id, s.name AS segment, s.segment_id AS segment_id, m.confidence AS confidence,
       u.top_category AS top_category, [(u)-[:PURCHASED]->(p:Product) | p.product_id] AS purchased
ORDER BY user_id
