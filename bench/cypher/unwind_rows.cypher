// Benchmark reference (bench/load.py): ships a batch of rows over Bolt and only counts them, so its rate is the
// driver's transfer ceiling for the load batches. Parameters: $rows = [{...}] (any maps). Writes nothing.
UNWIND $rows AS row
RETURN count(row) AS rows
