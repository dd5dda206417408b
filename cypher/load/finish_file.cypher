// Marks a source file as completely loaded and drops its cursor (and its writers' cursors, if any).
// Parameters: $sha256, $loaded_at (epoch milliseconds), $interactions (rows of interaction aggregates).
MATCH (f:IngestedFile {sha256: $sha256})
SET f.state = 'loaded', f.loaded_at = datetime({epochMillis: $loaded_at}), f.interactions = $interactions
REMOVE f.step, f.batch, f.batch_size, f.source_key, f.load_id, f.writers
WITH f
OPTIONAL MATCH (c:LoadCursor {sha256: f.sha256})
DELETE c
