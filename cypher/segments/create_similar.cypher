// Links customers to their look-alikes (segments/similar.py; the run's similar.parquet); customers
// missing from the graph are skipped. CREATE, not MERGE: drop_similar.cypher has removed every link
// first and the file holds each pair once. Aligned lists, as set_user_features: a map per row costs more to
// send. Parameters: $user_ids, $other_user_ids = LIST<INTEGER>; $scores = LIST<FLOAT>.
UNWIND range(0, size($user_ids) - 1) AS i
MATCH (a:User {user_id: $user_ids[i]})
MATCH (b:User {user_id: $other_user_ids[i]})
CREATE (a)-[s:SIMILAR {score: $scores[i]}]->(b)
RETURN count(s) AS linked
