// The segments of the current segmentation, as nodes: click one for its name, size, traits and actions.
// Parameters: none.
MATCH (s:Segment {current: true})
RETURN s
