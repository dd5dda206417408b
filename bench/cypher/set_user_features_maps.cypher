// Benchmark reference (bench/write_shapes.py): the features write before issue 20, one map per row.
// Sets the per-user behavioural metrics (features/registry.py, on_graph) on existing User nodes; users not in the graph are skipped.
// Parameters: $rows = [{user_id: INTEGER, props: MAP}] (a null in props removes that property), $computed_at = STRING (the run's stamp, kept as u.features_at).
UNWIND $rows AS row
MATCH (u:User {user_id: row.user_id})
SET u += row.props, u.features_at = $computed_at
