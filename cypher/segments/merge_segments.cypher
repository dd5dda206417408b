// Creates or updates a run's Segment nodes with their profile, linked from the run; new ones are not current.
// Parameters: $run_id, $segments = [{segment_key, props: {segment_id, name, name_fr, description, …}}].
MATCH (r:SegmentationRun {run_id: $run_id})
UNWIND $segments AS row
MERGE (s:Segment {segment_key: row.segment_key})
ON CREATE SET s.current = false
SET s += row.props, s.run_id = $run_id
MERGE (r)-[:HAS_SEGMENT]->(s)
