"""Clustering, model selection, naming and profiling of customer segments."""
