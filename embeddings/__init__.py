"""Taste vectors of the user–product–category–brand interaction graph (node2vec, or FastRP).

The files written under ``$SHOPGRAPH_HOME/embeddings/`` are the contract the segments step reads
(docs/ARCHITECTURE.md, "embeddings/__init__.py: the files"); vectors are personal data, keyed by
``user_id`` so that ``shopgraph forget`` erases them. ``training.embed`` is the job.
"""
