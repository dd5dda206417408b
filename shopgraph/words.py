"""The user-facing words every layer shares: the languages the product speaks, and the name of segment 0."""

from __future__ import annotations

from types import MappingProxyType

#: The languages of every name, trait, action and report the product writes.
LANGS = ("en", "fr")

#: The name of segment 0: customers with fewer events than the run's activity threshold, who are not
#: clustered but still get a segment (in the assignments, on the graph and in the dossier).
NOT_ENOUGH_ACTIVITY = MappingProxyType({"en": "Not enough activity yet", "fr": "Activité insuffisante"})
