"""Per-user behavioural metrics: the registry (and docs/METRICS.md made from it), the marketing calendar, their
computation in DuckDB over the event store, and their copy onto the graph's User nodes."""
