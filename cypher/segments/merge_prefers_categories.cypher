// Links a run's segments to the categories they prefer; categories missing from the graph are skipped.
// Parameters: $rows = [{segment_key, category_id: INTEGER, lift: FLOAT, share: FLOAT}].
UNWIND $rows AS row
MATCH (s:Segment {segment_key: row.segment_key})
MATCH (c:Category {category_id: row.category_id})
MERGE (s)-[p:PREFERS]->(c)
SET p.lift = row.lift, p.share = row.share
RETURN count(p) AS linked
