"""The user-facing words every layer shares: the languages the product speaks, the name of segment 0, and
how a number and a run's reason are written in each language."""

from __future__ import annotations

from types import MappingProxyType

#: The languages of every name, trait, action and report the product writes.
LANGS = ("en", "fr")

#: The name of segment 0: customers with fewer events than the run's activity threshold, who are not
#: clustered but still get a segment (in the assignments, on the graph and in the dossier).
NOT_ENOUGH_ACTIVITY = MappingProxyType({"en": "Not enough activity yet", "fr": "Activité insuffisante"})

#: How a run's reason joins its stages ("…; then …"), in each language.
THEN = MappingProxyType({"en": "; then ", "fr": " ; puis "})


def decimal(value: float, digits: int, lang: str, sign: bool = False) -> str:
    """``value`` with ``digits`` decimals as the language writes it: ``0.878`` / ``0,878`` (``sign``: ``+0.066``)."""
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text
