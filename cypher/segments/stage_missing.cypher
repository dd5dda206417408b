// Stages users the run has no assignment for (loaded after it, typically) into its segment 0 with
// confidence 0, so no user keeps an older run's segment. Idempotent; commits in batches.
// Parameters: $run_id, $zero_key (segment_key of the run's segment 0).
MATCH (z:Segment {segment_key: $zero_key})
MATCH (u:User)
WHERE NOT EXISTS { (u)-[:IN_SEGMENT]->(:Segment {run_id: $run_id}) }
CALL (u, z) {
  MERGE (u)-[m:IN_SEGMENT]->(z)
  SET m.confidence = 0.0, m.low_confidence = true, m.missing = true
} IN TRANSACTIONS OF 10000 ROWS
