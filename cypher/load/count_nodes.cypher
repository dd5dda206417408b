// How many nodes the database holds (from the count store: instant at any size). `load --bulk` needs 0.
// Parameters: none.
MATCH (n)
RETURN count(n) AS nodes
