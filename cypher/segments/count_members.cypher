// How many users a run's segments hold in the graph, and how many of them the run had no assignment for.
// Parameters: $run_id. The members are each segment's degree (counts the store keeps: no membership is read, where
// reading them and their users took 4-6 s at 14.1 M customers); the missing ones are the memberships flagged by
// stage_missing.cypher, read without their users (only a User holds an IN_SEGMENT).
MATCH (:SegmentationRun {run_id: $run_id})-[:HAS_SEGMENT]->(s:Segment)
RETURN sum(COUNT { (s)<-[:IN_SEGMENT]-() }) AS members,
       sum(COUNT { (s)<-[m:IN_SEGMENT]-() WHERE m.missing }) AS missing
