// How many customers are in one segment of the current segmentation (read through the current-run pointer)?
// Parameters: $name, a segment's English name, e.g. 'Window shoppers' (in Browser: :param name => 'Window shoppers').
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment {name: $name})
RETURN COUNT { (s)<-[:IN_SEGMENT]-(:User) } AS customers
