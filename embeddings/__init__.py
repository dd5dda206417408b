"""node2vec embeddings of the user–product–category–brand interaction graph.

The files this package writes (the contract the segments step relies on), all under
``$SHOPGRAPH_HOME/embeddings/``, each written to a temporary name and renamed last:

* ``user_vectors.parquet`` — one row per user, sorted by ``user_id``: ``user_id BIGINT``,
  ``vector FLOAT[d]`` (fixed-size float32 list), ``source VARCHAR`` (``trained`` when the
  user was in the training graph, ``folded`` when the vector comes from the fold-in).
* ``item_vectors.parquet`` — ``node_type VARCHAR`` (``product``/``category``/``brand``),
  ``node_key VARCHAR`` (product_id, category_id or brand name, as text), ``vector FLOAT[d]``.
* ``embedding.json`` — method, parameters, seed, dimensions, data window (the ingested files
  seen), code version, timings and counts.

``embeddings.store.read_user_vectors(workspace)`` returns ``(user_ids int64[n],
vectors float32[n, d])`` in ``user_id`` order. Vectors are personal data: they sit in a
Parquet table with a ``user_id`` column, so ``shopgraph forget`` erases them.
"""
