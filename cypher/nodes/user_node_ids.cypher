// One page of the User nodes' internal ids by user_id, in user_id order from $from to $upto (graph/node_ids.py):
// read once before a large write, whose batches then find each customer by id instead of seeking the user_id
// index. Parameters: $from, $upto (INTEGER, inclusive bounds), $page (INTEGER, nodes per page).
MATCH (u:User)
WHERE u.user_id >= $from AND u.user_id <= $upto
WITH u
ORDER BY u.user_id
LIMIT $page
RETURN collect(u.user_id) AS keys, collect(id(u)) AS node_ids
