// @question: How did customers move between segments since the previous segmentation run?
// @returns: previous_run, current_run, from_segment, to_segment, customers (who moved from → to),
//   share_of_from (customers / all customers of the previous segment that are in the current run); biggest flows first
// @cost: global
// Parameters: none. Reads the current run (the :CurrentSegmentation pointer)-[:FOLLOWS]->(previous run) and the
// (:Segment)-[:BECAME {users}]->(:Segment) counts between their segments; no rows when there is no previous run.
MATCH (pointer:CurrentSegmentation)
MATCH (cur:SegmentationRun {run_id: pointer.run_id})-[:FOLLOWS]->(prev:SegmentationRun)
MATCH (prev)-[:HAS_SEGMENT]->(a:Segment)-[flow:BECAME]->(b:Segment)<-[:HAS_SEGMENT]-(cur)
WITH prev, cur, a, b, flow.users AS customers
WITH prev, cur, a, collect({b: b, n: customers}) AS flows, sum(customers) AS from_total
UNWIND flows AS f
RETURN prev.run_id AS previous_run, cur.run_id AS current_run, a.name AS from_segment, f.b.name AS to_segment,
       f.n AS customers, CASE WHEN from_total = 0 THEN 0.0 ELSE toFloat(f.n) / from_total END AS share_of_from
ORDER BY customers DESC, from_segment, to_segment
