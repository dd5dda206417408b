// One page of the Product nodes' internal ids by product_id, in product_id order from $from to $upto
// (graph/node_ids.py): read once before a file's relationships are loaded, whose batches then find each
// product by id instead of seeking the product_id index. Parameters: $from, $upto (INTEGER,
// inclusive bounds), $page (INTEGER).
MATCH (p:Product)
WHERE p.product_id >= $from AND p.product_id <= $upto
WITH p
ORDER BY p.product_id
LIMIT $page
RETURN collect(p.product_id) AS keys, collect(id(p)) AS node_ids
