// Which source files are in the graph, and in what state ('loaded' or 'loading' after a crash).
// Parameters: none.
MATCH (f:IngestedFile)
RETURN f.sha256 AS sha256, f.name AS name, f.state AS state, f.months AS months
ORDER BY f.name
