"""Customer segments: clustering, model selection, assignment, threshold, profiles, names, lineage, write-back.

A run is a folder ``$SHOPGRAPH_HOME/segments/runs/<run_id>/``, written whole and then made current;
its files are the contract the reports and the graph write-back read (docs/ARCHITECTURE.md,
"segments/__init__.py: the run folder"). ``segmentation.segment`` runs the steps in order.
"""
