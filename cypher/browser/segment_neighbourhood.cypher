// A small neighbourhood of one current segment: 25 of its customers, and the categories and brands it prefers.
// Parameters: $name, a segment's English name, e.g. 'Window shoppers' (in Browser: :param name => 'Window shoppers').
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $name
CALL (s) {
  MATCH member = (:User)-[:IN_SEGMENT]->(s)
  WITH member LIMIT 25
  RETURN collect(member) AS members
}
CALL (s) {
  OPTIONAL MATCH preference = (s)-[:PREFERS]->()
  RETURN collect(preference) AS preferences
}
RETURN s, members, preferences
