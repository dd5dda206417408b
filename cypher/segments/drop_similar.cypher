// Removes every look-alike link (User)-[:SIMILAR]->(User) in batches, before a run writes its own.
MATCH (:User)-[s:SIMILAR]->(:User)
CALL (s) { DELETE s } IN TRANSACTIONS OF 10000 ROWS
