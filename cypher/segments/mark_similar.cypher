// Records that every look-alike link of $source (similar.parquet's SHA-256 and the links per customer) is
// written, $links of them (segments/similar.py). Parameters: $source = STRING, $links = INTEGER.
MERGE (m:LookAlikeLinks {key: 'current'})
SET m.source = $source, m.links = $links
