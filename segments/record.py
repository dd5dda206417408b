"""The record of one segmentation run: what its stages decided, serialised as the run folder's ``run.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunRecord:
    """``run.json`` of one segmentation run, filled stage by stage; :meth:`to_json` writes it.

    ``given_k`` is the ``--k`` the run was called with and ``given_method`` the method it used
    (``segmentation.resolve_method``; None: the family and k chosen by the model selection's stated rule);
    ``k`` and ``method`` what it chose. ``threshold`` is the activity threshold
    (minimum events). ``inputs``, ``classifier`` and ``analysis`` are the free-form sections the
    input transform, the assignment classifier and the feature analysis (with the lineage) report.
    """

    seed: int
    given_k: int | None
    given_method: str | None
    sample_size: int
    min_events_to_cluster: int
    bootstraps: int
    data_window: Any = None
    features_computed_at: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    k_range: list[int] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    method: str = ""
    k: int = 0
    reason: str = ""
    reason_fr: str = ""  # the same reason in French, for the French dossier
    scores: dict[str, float] = field(default_factory=dict)
    taste_split: dict[str, Any] = field(default_factory=dict)
    threshold: int = 0
    previous_run_id: str | None = None
    classifier: dict[str, Any] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)
    users_by: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    run_id: str = ""
    at: str = ""
    code_version: str = ""

    def to_json(self) -> dict[str, Any]:
        """The content of ``run.json`` (key order included); ``timings`` is this record's own dict."""
        return {
            "run_id": self.run_id,
            "at": self.at,
            "method": self.method,
            "k": self.k,
            "reason": self.reason,
            "reason_fr": self.reason_fr,
            "threshold": self.threshold,
            "seed": self.seed,
            "code_version": self.code_version,
            "data_window": self.data_window,
            "features_computed_at": self.features_computed_at,
            "previous_run_id": self.previous_run_id,
            "parameters": {
                "k": self.given_k,
                "method": self.given_method,
                "sample_size": self.sample_size,
                "k_range": list(self.k_range),
                "methods": list(self.methods),
                "min_events_to_cluster": self.min_events_to_cluster,
                "bootstraps": self.bootstraps,
            },
            "scores": self.scores,
            "taste_split": self.taste_split,
            "inputs": self.inputs,
            "classifier": self.classifier,
            "analysis": self.analysis,
            "users_by": self.users_by,
            "timings": self.timings,
        }
