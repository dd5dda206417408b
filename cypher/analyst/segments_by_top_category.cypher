// @question: Which department (top category) do the customers of each segment mostly shop in?
// @returns: segment, top_category (User.top_category), customers, share (of the segment's customers)
// @cost: global
// Parameters: none. Reads the current run (the :CurrentSegmentation pointer) through IN_SEGMENT.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
MATCH (s)<-[:IN_SEGMENT]-(u:User)
WITH s, u.top_category AS top_category, count(*) AS customers
WITH s, collect({c: top_category, n: customers}) AS rows, sum(customers) AS total
UNWIND rows AS r
RETURN s.name AS segment, r.c AS top_category, r.n AS customers, toFloat(r.n) / total AS share
ORDER BY segment, customers DESC, top_category
