// Profiles of the current segments for other teams (graph/audience.py applies k-anonymity before writing).
// Parameters: $top = INTEGER (preferred categories and brands per segment, by PREFERS lift).
// Returns per segment: segment_id, name, name_fr, description, customers, buyers, revenue, avg_total_spent,
// avg_n_orders, avg_recency_days, avg_purchase_rate, avg_promo_share, avg_order_value (over buyers),
// preferences = [{kind: 'category'|'brand', name, lift, customers (of the segment who bought in it)}].
MATCH (pointer:CurrentSegmentation)
OPTIONAL MATCH (f:FeaturesOnGraph)  // recency: from u.last_seen to the end of the data the features were written for
WITH pointer, f.window_end AS window_end
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
CALL (s, window_end) {
  OPTIONAL MATCH (s)<-[:IN_SEGMENT]-(u:User)
  RETURN count(u) AS customers, count(CASE WHEN u.n_orders > 0 THEN 1 END) AS buyers,
         sum(coalesce(u.total_spent, 0.0)) AS revenue, avg(coalesce(u.total_spent, 0.0)) AS avg_total_spent,
         avg(coalesce(u.n_orders, 0)) AS avg_n_orders, avg(duration.inSeconds(u.last_seen, window_end).seconds / 86400.0) AS avg_recency_days,
         avg(u.purchase_rate) AS avg_purchase_rate, avg(u.promo_share) AS avg_promo_share,
         avg(CASE WHEN u.n_orders > 0 THEN u.avg_order_value END) AS avg_order_value
}
CALL (s) {
  OPTIONAL MATCH (s)-[pref:PREFERS]->(c:Category)
  WITH s, c, pref ORDER BY pref.lift DESC, c.code LIMIT $top
  CALL (s, c) {
    OPTIONAL MATCH (s)<-[:IN_SEGMENT]-(u:User)
    WHERE c IS NOT NULL AND EXISTS { (u)-[:PURCHASED]->(:Product)-[:IN_CATEGORY]->(c) }
    RETURN count(u) AS n
  }
  RETURN collect(CASE WHEN c IS NOT NULL THEN {kind: 'category', name: coalesce(c.code, toString(c.category_id)),
                                                lift: pref.lift, customers: n} END) AS categories
}
CALL (s) {
  OPTIONAL MATCH (s)-[pref:PREFERS]->(b:Brand)
  WITH s, b, pref ORDER BY pref.lift DESC, b.name LIMIT $top
  CALL (s, b) {
    OPTIONAL MATCH (s)<-[:IN_SEGMENT]-(u:User)
    WHERE b IS NOT NULL AND EXISTS { (u)-[:PURCHASED]->(:Product)-[:OF_BRAND]->(b) }
    RETURN count(u) AS n
  }
  RETURN collect(CASE WHEN b IS NOT NULL THEN {kind: 'brand', name: b.name, lift: pref.lift, customers: n} END) AS brands
}
RETURN s.segment_id AS segment_id, s.name AS name, s.name_fr AS name_fr, s.description AS description,
       customers, buyers, revenue, avg_total_spent, avg_n_orders, avg_recency_days, avg_purchase_rate,
       avg_promo_share, avg_order_value, categories + brands AS preferences
ORDER BY segment_id
