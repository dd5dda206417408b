// Marks the vector write that just finished: its token is also in the record beside the vector file.
// Parameters: $token = STRING, $at = STRING (ISO time).
MERGE (w:VectorsOnGraph)
SET w.token = $token, w.finished_at = $at
