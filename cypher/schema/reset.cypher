// Empties the database: every node and relationship, in batches so big graphs do not exhaust memory.
// Parameters: none. Used by `shopgraph db reset --yes` and by the tests. Constraints stay.
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS;
