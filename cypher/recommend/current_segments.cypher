// The names of the current segments (for messages naming the valid ones). Parameters: none.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
RETURN s.segment_id AS segment_id, s.name AS name, s.name_fr AS name_fr, s.size AS size
ORDER BY segment_id
