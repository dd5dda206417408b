// @question: How big is the graph? Nodes per label and relationships per type of the graph model, for a first look.
// @returns: kind ('node' or 'relationship'), name (label or type), count
// @cost: global
// Parameters: none. One count per label and type of the model (DESIGN.md and the segments contract), each
// read from Neo4j's count store (constant time, whatever the size of the graph).
MATCH (n:User) RETURN 'node' AS kind, 'User' AS name, count(n) AS count
UNION ALL
MATCH (n:Product) RETURN 'node' AS kind, 'Product' AS name, count(n) AS count
UNION ALL
MATCH (n:Category) RETURN 'node' AS kind, 'Category' AS name, count(n) AS count
UNION ALL
MATCH (n:CategoryLevel) RETURN 'node' AS kind, 'CategoryLevel' AS name, count(n) AS count
UNION ALL
MATCH (n:Brand) RETURN 'node' AS kind, 'Brand' AS name, count(n) AS count
UNION ALL
MATCH (n:Segment) RETURN 'node' AS kind, 'Segment' AS name, count(n) AS count
UNION ALL
MATCH (n:SegmentationRun) RETURN 'node' AS kind, 'SegmentationRun' AS name, count(n) AS count
UNION ALL
MATCH (n:IngestedFile) RETURN 'node' AS kind, 'IngestedFile' AS name, count(n) AS count
UNION ALL
MATCH ()-[r:VIEWED]->() RETURN 'relationship' AS kind, 'VIEWED' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:CARTED]->() RETURN 'relationship' AS kind, 'CARTED' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:REMOVED]->() RETURN 'relationship' AS kind, 'REMOVED' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:PURCHASED]->() RETURN 'relationship' AS kind, 'PURCHASED' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:IN_CATEGORY]->() RETURN 'relationship' AS kind, 'IN_CATEGORY' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:OF_BRAND]->() RETURN 'relationship' AS kind, 'OF_BRAND' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:CHILD_OF]->() RETURN 'relationship' AS kind, 'CHILD_OF' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:IN_SEGMENT]->() RETURN 'relationship' AS kind, 'IN_SEGMENT' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:PREFERS]->() RETURN 'relationship' AS kind, 'PREFERS' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:HAS_SEGMENT]->() RETURN 'relationship' AS kind, 'HAS_SEGMENT' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:FOLLOWS]->() RETURN 'relationship' AS kind, 'FOLLOWS' AS name, count(r) AS count
UNION ALL
MATCH ()-[r:BECAME]->() RETURN 'relationship' AS kind, 'BECAME' AS name, count(r) AS count
