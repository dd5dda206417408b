"""Neo4j: settings, connection, local server, schema, loading, write-back, erasure."""
