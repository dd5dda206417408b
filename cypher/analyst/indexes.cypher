// Indexes the analyst queries rely on at scale (bench/queries.py measures with and without them).
// Parameters: none. Idempotent (IF NOT EXISTS). Not an analyst question: `shopgraph queries` skips this file.
// segment_*: find the current segment by name; price_sensitive, holiday_shoppers, lapsing_high_value: range
// scans on the metric instead of reading every User; cart_abandoners: carts since a date.
CREATE INDEX segment_name IF NOT EXISTS FOR (s:Segment) ON (s.name);
CREATE INDEX user_segment IF NOT EXISTS FOR (u:User) ON (u.segment);
CREATE INDEX user_below_median_purchase_share IF NOT EXISTS FOR (u:User) ON (u.below_median_purchase_share);
CREATE INDEX user_promo_lift IF NOT EXISTS FOR (u:User) ON (u.promo_lift);
CREATE INDEX user_rfm_m IF NOT EXISTS FOR (u:User) ON (u.rfm_m);
CREATE INDEX carted_last_at IF NOT EXISTS FOR ()-[c:CARTED]-() ON (c.last_at);
