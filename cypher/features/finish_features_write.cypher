// After a feature write sent every row it meant to: the SHA-256 of the kept copy of the values the graph now holds
// (features/graph_write.py compares the next table with that copy and sends only the rows that differ).
// Parameters: $sha = STRING or null (null: no copy kept, the next write sends every row), $at = STRING (ISO time).
MATCH (f:FeaturesOnGraph)
SET f.sha = $sha, f.finished_at = $at
