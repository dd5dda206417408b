// How many users a run's segments hold in the graph, and how many of them the run had no assignment for.
// Parameters: $run_id.
MATCH (r:SegmentationRun {run_id: $run_id})-[:HAS_SEGMENT]->(:Segment)<-[m:IN_SEGMENT]-(:User)
RETURN count(m) AS members, count(CASE WHEN m.missing THEN 1 END) AS missing
