// Links customers to their look-alikes (segments/similar.py; the run's similar.parquet); customers
// missing from the graph are skipped. Parameters: $rows = [{user_id, other_user_id, score: FLOAT}].
UNWIND $rows AS row
MATCH (a:User {user_id: row.user_id})
MATCH (b:User {user_id: row.other_user_id})
MERGE (a)-[s:SIMILAR]->(b)
SET s.score = row.score
RETURN count(s) AS linked
