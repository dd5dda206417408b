"""Clustering, model selection, naming and profiling of customer segments.

A run is a folder ``$SHOPGRAPH_HOME/segments/runs/<run_id>/`` (``run_id`` like
``20261201T203000Z-<6 hex>``), written under a temporary name and renamed when complete;
``segments/current`` (one line: the run id) is switched last. The folder holds:

* ``run.json`` — parameters, seed, data window, code version, chosen method and k and why,
  activity threshold, timings, the previous run id;
* ``assignments.parquet`` — one row per user with events: ``user_id BIGINT``,
  ``segment_id INTEGER`` (0 = "Not enough activity yet"), ``segment VARCHAR`` (English name),
  ``confidence DOUBLE``, ``low_confidence BOOLEAN``, ``assigned_by VARCHAR``
  (``cluster``/``classifier``/``threshold``);
* ``segments.json`` — per segment: id, names/descriptions/actions in ``en`` and ``fr``, size,
  revenue share, conversion, standardised metric differences, preferred categories and brands
  with lift, plain-language rules;
* ``selection.csv`` (scores over methods and k), ``threshold.json`` (the activity curve),
  ``classifiers.csv`` (the assignment-classifier comparison), ``importance.csv``,
  ``migration.csv`` (users from each previous segment to each new one), the fitted models:
  ``classifier.joblib`` (the calibrated assignment classifier, the input transform, the
  threshold and the library versions);
* ``fingerprints.parquet`` — ``user_id BIGINT``, ``fingerprint BIGINT``: a hash of each user's
  activity at training, so ``shopgraph assign`` finds the users who changed.

The steps live in ``inputs``, ``selection``, ``assign``, ``threshold``, ``profile``,
``naming``, ``lineage``, ``runs``; ``segmentation.segment`` runs them in order.

The graph write-back (``User.segment`` …, ``(:Segment)``, ``(:SegmentationRun)``) reads
only this folder.
"""
