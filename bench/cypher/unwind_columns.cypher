// Benchmark reference (bench/load.py): ships a batch of relationship rows as parallel lists, the way the load
// sends them, and only counts them, so its rate is the driver's transfer ceiling for the load batches.
// Parameters: $user_id (and any other lists of the same length). Writes nothing.
UNWIND range(0, size($user_id) - 1) AS i
RETURN count(i) AS rows
