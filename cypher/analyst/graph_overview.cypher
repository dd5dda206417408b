// @question: How big is the graph? Nodes per label and relationships per type, for a first look in Browser.
// @returns: kind ('node' or 'relationship'), name (label or type), count
// @cost: global
// Parameters: none.
CALL db.labels() YIELD label
CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS count }
RETURN 'node' AS kind, label AS name, count
UNION ALL
CALL db.relationshipTypes() YIELD relationshipType
CALL (relationshipType) { MATCH ()-[r]->() WHERE type(r) = relationshipType RETURN count(r) AS count }
RETURN 'relationship' AS kind, relationshipType AS name, count
