// Which look-alike links the graph holds: the source (similar.parquet's SHA-256 and the links per customer)
// they were all written from, and how many; no row when none were, or a write was cut short.
// Parameters: none.
MATCH (m:LookAlikeLinks)
RETURN m.source AS source, m.links AS links
