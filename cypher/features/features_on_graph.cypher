// What the graph says of the last feature write (features/graph_write.py): the SHA-256 of the values it holds for
// certain (null while a write runs, or after one was stopped midway) and the end of the data window its recency is
// read against. No row values when the graph never finished a write (a new database, a bulk import, a reset).
OPTIONAL MATCH (f:FeaturesOnGraph)
RETURN f.sha AS sha, f.window_end AS window_end
