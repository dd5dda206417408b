"""node2vec embeddings of the user–product–category–brand interaction graph.

The files this package writes (the contract the segments step relies on), all under
``$SHOPGRAPH_HOME/embeddings/``, each written to a temporary name and renamed last:

* ``user_vectors.parquet`` — one row per user, sorted by ``user_id``: ``user_id BIGINT``,
  ``vector FLOAT[d]`` (fixed-size float32 list, unit length), ``source VARCHAR`` (``trained``
  when the user was in the training graph, ``folded`` when the vector comes from the fold-in:
  users beyond ``--max-users`` and users added later by ``embed --assign-only``).
* ``item_vectors.parquet`` — ``node_type VARCHAR`` (``product``/``category``/``brand``),
  ``node_key VARCHAR`` (product_id, category_id or brand name, as text), ``vector FLOAT[d]``
  (as trained, not normalised).
* ``embedding.json`` — method, parameters, seed, dimensions, ``max_users``, weights (intent,
  category, brand, fold-in), data window (the ingested files seen: name, sha256, months),
  code version, ``created_at``, counts (users trained/folded/total, products, categories,
  brands), graph size, token budget (walks × length, tokens, steps, proposals), timings
  (graph, walks, training, fold_in, total), the fold-in check on trained users, the fallback
  vector and ``assign_only_runs``.

``embeddings.store.read_user_vectors(workspace)`` returns ``(user_ids int64[n],
vectors float32[n, d])`` in ``user_id`` order; ``read_user_table`` adds the sources,
``read_item_vectors`` the items. Vectors are personal data: they sit in a Parquet table with
a ``user_id`` column, so ``shopgraph forget`` erases them.

Modules: ``graph`` (CSR interaction graph), ``node2vec`` (walks + skip-gram), ``foldin``
(vectors for untrained users), ``store`` (the files), ``training`` (``embed``, ``assign_only``),
``fastrp`` (FastRP, ``--method fastrp``).
"""
