// Every segmentation run the graph knows and where its write-back stands (segments/writeback.py).
// Parameters: none. state: 'staging' (being written, invisible), 'current', 'retiring' (IN_SEGMENT being
// removed), 'retired'; user_copy: 'done', or 'refreshing' while User.segment* are copied in batches.
MATCH (r:SegmentationRun)
RETURN r.run_id AS run_id, coalesce(r.current, false) AS current, r.state AS state,
       coalesce(r.staged_rows, 0) AS staged_rows, r.user_copy AS user_copy,
       coalesce(r.users_copied, 0) AS users_copied, r.assignments_sha AS assignments_sha
ORDER BY r.at
