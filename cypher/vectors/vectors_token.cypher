// The token of the last vector write the graph finished (graph/vectors.py compares it with its record's).
// No node: the graph never finished one, or it was made anew since (a bulk import, a new database).
OPTIONAL MATCH (w:VectorsOnGraph)
RETURN w.token AS token
