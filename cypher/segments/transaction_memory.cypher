// The server's transaction memory limits and heap, to size the one switch transaction (segments/writeback.py).
// Parameters: none. Values are Neo4j sizes such as '716.80MiB' ('0B' = no limit).
SHOW SETTINGS YIELD name, value
WHERE name IN ['dbms.memory.transaction.total.max', 'db.memory.transaction.max', 'server.memory.heap.max_size']
RETURN name, value
