// Creates categories and the hierarchy of their code's levels (electronics → electronics.audio → …).
// Parameters: $rows = [{category_id, code}] (code may be null). Idempotent.
UNWIND $rows AS row
MERGE (c:Category {category_id: row.category_id})
SET c.code = coalesce(row.code, c.code)
WITH c, row
WHERE row.code IS NOT NULL
WITH c, split(row.code, '.') AS parts
UNWIND range(1, size(parts)) AS depth
MERGE (l:CategoryLevel {path: reduce(p = parts[0], part IN parts[1..depth] | p + '.' + part)})
  ON CREATE SET l.name = parts[depth - 1], l.depth = depth
WITH c, parts, depth, l
CALL (c, parts, depth, l) {
  WITH c, parts, depth, l WHERE depth = size(parts)
  MERGE (c)-[:CHILD_OF]->(l)
}
CALL (parts, depth, l) {
  WITH parts, depth, l WHERE depth > 1
  MERGE (parent:CategoryLevel {path: reduce(p = parts[0], part IN parts[1..depth - 1] | p + '.' + part)})
  MERGE (l)-[:CHILD_OF]->(parent)
}
