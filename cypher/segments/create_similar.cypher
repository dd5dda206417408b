// Links customers to their look-alikes (segments/similar.py; the run's similar.parquet); customers
// missing from the graph are skipped. CREATE, not MERGE: drop_similar.cypher has removed every link
// first and the file holds each pair once. Parameters: $rows = [{user_id, other_user_id, score: FLOAT}].
UNWIND $rows AS row
MATCH (a:User {user_id: row.user_id})
MATCH (b:User {user_id: row.other_user_id})
CREATE (a)-[s:SIMILAR {score: row.score}]->(b)
RETURN count(s) AS linked
