// Removes every look-alike link (User)-[:SIMILAR]->(User) in batches, before a run writes its own, and first
// the marker saying which file they came from (similar_source.cypher), so a write cut short is redone.
MATCH (m:LookAlikeLinks) DELETE m;
MATCH (:User)-[s:SIMILAR]->(:User)
CALL (s) { DELETE s } IN TRANSACTIONS OF 10000 ROWS
