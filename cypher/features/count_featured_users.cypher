// How many User nodes carry the metrics of one features run (to count users missing from the graph).
// Parameters: $computed_at = STRING, the stamp the run set as u.features_at.
MATCH (u:User)
WHERE u.features_at = $computed_at
RETURN count(u) AS users
