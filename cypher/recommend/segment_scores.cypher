// Scores the products bought in one current segment: recency-weighted segment buyers × lift (graph/recommend.py).
// Parameters: $segment_id = INTEGER (current Segment.segment_id), $half_life_days = FLOAT (a purchase that many
// days before the segment's latest purchase weighs half), $min_buyers = INTEGER, $limit = INTEGER.
// Never a product whose current price is 0 or missing (data dirt); lift still counts every purchase.
// Returns product_id, category_id, score, buyers (segment customers who bought it), lift; best first.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment {segment_id: $segment_id})
MATCH (s)<-[:IN_SEGMENT]-(u:User)
WHERE EXISTS { (u)-[:PURCHASED]->() }
WITH collect(u) AS segment_buyers
CALL () { MATCH (b:User) WHERE EXISTS { (b)-[:PURCHASED]->() } RETURN count(b) AS all_buyer_count }
UNWIND segment_buyers AS u
MATCH (u)-[r:PURCHASED]->(p:Product)
WITH size(segment_buyers) AS segment_buyer_count, all_buyer_count, collect({p: p, at: r.last_at}) AS rows,
     max(r.last_at) AS ref
UNWIND rows AS row
WITH segment_buyer_count, all_buyer_count, row.p AS p, count(*) AS buyers,
     sum(exp(-log(2.0) * duration.inSeconds(row.at, ref).seconds / 86400.0 / $half_life_days)) AS weight
WHERE buyers >= $min_buyers AND p.price > 0
WITH p, buyers, weight,
     (toFloat(buyers) / segment_buyer_count) / (toFloat(COUNT { (p)<-[:PURCHASED]-() }) / all_buyer_count) AS lift
RETURN p.product_id AS product_id, [(p)-[:IN_CATEGORY]->(c:Category) | c.category_id][0] AS category_id,
       weight * lift AS score, buyers, lift
ORDER BY score DESC, product_id
LIMIT $limit
