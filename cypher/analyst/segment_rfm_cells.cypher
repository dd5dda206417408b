// @question: How are a segment's customers spread over the classic RFM cells (champions 555, at risk 1xx …)?
// @param segment: string e.g. "Window shoppers"
// @returns: rfm_code (null = never bought), customers, share (of the segment's customers); biggest cells first
// @cost: per-segment
// $segment: English or French current segment name (string).
MATCH (pointer:CurrentSegmentation)
MATCH (:SegmentationRun {run_id: pointer.run_id})-[:HAS_SEGMENT]->(s:Segment)
WHERE s.name = $segment OR s.name_fr = $segment
MATCH (s)<-[:IN_SEGMENT]-(u:User)
WITH u.rfm_code AS rfm_code, count(*) AS customers
WITH collect({code: rfm_code, n: customers}) AS cells, sum(customers) AS total
UNWIND cells AS cell
RETURN cell.code AS rfm_code, cell.n AS customers, toFloat(cell.n) / total AS share
ORDER BY customers DESC, rfm_code
