// Before a feature write changes any User: the graph no longer holds one known table (sha null) until it ends, and
// recency (window_end - u.last_seen, which the load keeps) is read against the new data window's end.
// Parameters: $window_end = DATETIME in UTC (the store's last event, comparable with u.last_seen of the load), $computed_at = STRING (the run's stamp).
MERGE (f:FeaturesOnGraph)
SET f.sha = null, f.window_end = $window_end, f.computed_at = $computed_at
