// The current segmentation at a glance: its run, each segment, up to 10 of its customers and what it prefers.
// Parameters: none.
MATCH (pointer:CurrentSegmentation)
MATCH link = (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
CALL (s) {
  MATCH member = (:User)-[:IN_SEGMENT]->(s)
  WITH member LIMIT 10
  RETURN collect(member) AS members
}
CALL (s) {
  OPTIONAL MATCH preference = (s)-[:PREFERS]->()
  RETURN collect(preference) AS preferences
}
RETURN link, members, preferences
