// Marks a run whose IN_SEGMENT relationships are all gone as retired (its Segment nodes stay as history).
// Parameters: $run_id.
MATCH (r:SegmentationRun {run_id: $run_id})
WHERE NOT r.current
SET r.state = 'retired'
