"""Section 6, the map of customers: the run's 2-D coordinates, else the first two principal components."""

from __future__ import annotations

import pandas as pd

from reports import charts
from reports.sections.common import SEED, Block
from reports.sections.context import Context

MAP_POINTS = 20_000
COORDINATE_PAIRS = (("x", "y"), ("map_x", "map_y"), ("pc1", "pc2"))


def section_map(c: Context) -> list[Block]:
    if c.inputs.run_dir is None:
        return [c.need_run()]
    assignments = c.inputs.assignments
    if assignments is None:
        return [c.need_file("assignments.parquet")]
    frame = assignments
    if len(frame) > MAP_POINTS:
        frame = frame.sample(MAP_POINTS, random_state=SEED)
    coords, source = _run_coordinates(c, frame), "run"
    if coords is None:
        projected = c.project(frame["user_id"].to_numpy())
        if projected is None:
            return [c.missing("need.features", path=c.inputs.features_table)]
        coords, source = frame[["user_id", "segment_id"]].merge(projected, on="user_id"), "pca"
    if not len(coords):
        return [c.missing("need.features", path=c.inputs.features_table)]
    sampled = c.t("map.sampled", total=c.num(len(assignments))) if len(assignments) > MAP_POINTS else ""
    labels = (c.t(f"map.x.{source}"), c.t(f"map.y.{source}"))
    return [
        Block("p", c.t("map.intro", coords=c.t(f"map.coords.{source}"), n=c.num(len(coords)), sampled=sampled)),
        Block(
            "figure",
            src=charts.customer_map(
                coords["x"].to_numpy(float),
                coords["y"].to_numpy(float),
                coords["segment_id"].to_numpy(int),
                c.segment_names,
                labels,
                c.lang,
            ),
            text=c.t("map.title"),
            css="map",
        ),
    ]


def _run_coordinates(c: Context, frame: pd.DataFrame) -> pd.DataFrame | None:
    """``user_id, segment_id, x, y`` from coordinates.parquet or the assignments' own columns, if the run has them."""
    for xs, ys in COORDINATE_PAIRS:
        if c.inputs.coordinates is not None and {xs, ys} <= set(c.inputs.coordinates.columns):
            return frame[["user_id", "segment_id"]].merge(
                c.inputs.coordinates[["user_id", xs, ys]].rename(columns={xs: "x", ys: "y"}), on="user_id"
            )
        if {xs, ys} <= set(frame.columns):
            return frame[["user_id", "segment_id", xs, ys]].rename(columns={xs: "x", ys: "y"})
    return None
