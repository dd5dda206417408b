// @question: Which department (top category) do the customers of each segment mostly shop in?
// @returns: segment, top_category (User.top_category), customers, share (of the segment's customers)
// @cost: global
// Parameters: none. Reads the current run (the :CurrentSegmentation pointer): the spread stored on its
// Segment nodes when the run was written (segments/figures.py: `top_categories`, '' for none, and
// `top_category_customers`), no member scan.
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
UNWIND range(0, size(coalesce(s.top_categories, [])) - 1) AS i
WITH s, CASE s.top_categories[i] WHEN '' THEN null ELSE s.top_categories[i] END AS top_category,
     s.top_category_customers[i] AS customers
RETURN s.name AS segment, top_category, customers, toFloat(customers) / s.customers AS share
ORDER BY segment, customers DESC, top_category
