// @question: How are a segment's customers spread over the classic RFM cells (champions 555, at risk 1xx …)?
// @param segment: string e.g. "Window shoppers"
// @returns: rfm_code (null = never bought), customers, share (of the segment's customers); biggest cells first
// @cost: per-segment
// $segment: English or French current segment name (string). Reads the spread stored on the Segment node
// when the run was written (segments/figures.py: `rfm_codes`, '' for never bought, and `rfm_customers`).
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
UNWIND range(0, size(coalesce(s.rfm_codes, [])) - 1) AS i
WITH CASE s.rfm_codes[i] WHEN '' THEN null ELSE s.rfm_codes[i] END AS rfm_code, s.rfm_customers[i] AS customers,
     s.customers AS total
RETURN rfm_code, customers, toFloat(customers) / total AS share
ORDER BY customers DESC, rfm_code
