"""node2vec embeddings of the user–product–category–brand interaction graph."""
