// The segments of the current segmentation, as nodes: click one for its name, size, traits and actions.
// Parameters: none.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
RETURN s
