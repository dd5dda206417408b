// The migration matrix, written with the switch of the current run, previous run's segment -> this run's.
// Parameters: $rows = [{from_key, to_key, users: INTEGER}]; pairs whose segments are not in the graph are skipped.
UNWIND $rows AS row
MATCH (a:Segment {segment_key: row.from_key})
MATCH (b:Segment {segment_key: row.to_key})
MERGE (a)-[x:BECAME]->(b)
SET x.users = row.users
RETURN count(x) AS linked
