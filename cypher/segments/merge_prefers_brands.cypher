// Links a run's segments to the brands they prefer (by Brand.name); brands missing from the graph are skipped.
// Parameters: $rows = [{segment_key, brand: STRING, lift: FLOAT, share: FLOAT}].
UNWIND $rows AS row
MATCH (s:Segment {segment_key: row.segment_key})
MATCH (b:Brand {name: row.brand})
MERGE (s)-[p:PREFERS]->(b)
SET p.lift = row.lift, p.share = row.share
RETURN count(p) AS linked
