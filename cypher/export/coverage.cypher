// How much of the shop the current segmentation covers (issue 21 §2): customers and revenue with a segment,
// with a likely segment only (below the activity threshold), with neither.
// Parameters: none. Returns covered ('segment' | 'likely' | 'neither'), customers, revenue.
MATCH (u:User)
WHERE u.segment_id IS NOT NULL
WITH CASE WHEN u.segment_id <> 0 THEN 'segment'
          WHEN u.likely_segment_id IS NOT NULL THEN 'likely'
          ELSE 'neither' END AS covered, coalesce(u.total_spent, 0.0) AS spent
RETURN covered, count(*) AS customers, sum(spent) AS revenue
ORDER BY covered
