"""The ten sections of the dossier, one module each, each built from what exists as blocks (paragraphs, tables,
figures, notes); :data:`BUILDERS` maps a section's key to its builder."""

from __future__ import annotations

from collections.abc import Callable

from reports.sections.assign import section_assign
from reports.sections.common import Block, Section
from reports.sections.context import Context
from reports.sections.customer_map import section_map
from reports.sections.data import section_data
from reports.sections.infra import section_infra
from reports.sections.metrics import section_metrics
from reports.sections.over_time import section_time
from reports.sections.recommend import section_recommend
from reports.sections.segments import section_segments
from reports.sections.selection import section_selection
from reports.sections.threshold import section_threshold

BUILDERS: dict[str, Callable[[Context], list[Block]]] = {
    "data": section_data,
    "metrics": section_metrics,
    "threshold": section_threshold,
    "selection": section_selection,
    "segments": section_segments,
    "map": section_map,
    "assign": section_assign,
    "recommend": section_recommend,
    "time": section_time,
    "infra": section_infra,
}

__all__ = ["BUILDERS", "Block", "Context", "Section"]
