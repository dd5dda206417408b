"""Audience exports: a segment's customers for newsletters and promotions, and k-anonymous segment profiles."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from events.pseudonym import load_key, pseudonymise_ids
from events.tombstones import read_tombstones
from graph.connection import QueryRunner
from graph.recommend import Recommender, segment_members, unknown_segment_message
from shopgraph.errors import ShopgraphError
from shopgraph.files import atomic_write
from shopgraph.progress import Progress
from shopgraph.workspace import Workspace

EXPORTS_DIR = "exports"
DEFAULT_K_ANONYMITY = 10
SUPPRESSED = "suppressed"
PROFILE_TOP = 3


@dataclass(frozen=True)
class SegmentExport:
    path: Path
    rows: int
    segment_customers: int
    consented_ids: int | None = None  # distinct ids in the --consented file
    consented_not_in_segment: int | None = None
    erased_skipped: int = 0
    likely_customers: int = 0  # with include_likely: customers below the threshold whose likely segment it is


@dataclass
class ProfileExport:
    path: Path
    segments: int
    k: int
    suppressed: list[str] = field(default_factory=list)  # "segment 'X': cell (describes n < k customers)"
    coverage: list[dict[str, Any]] = field(default_factory=list)  # see coverage_rows
    coverage_path: Path | None = None  # the coverage CSV beside a CSV export (JSON: inside the file)


def exports_dir(workspace: Workspace) -> Path:
    """``$SHOPGRAPH_HOME/exports``: `shopgraph forget` rewrites the tables found there."""
    return workspace.home / EXPORTS_DIR


def slug(name: str) -> str:
    """A file-name-safe form of a segment name, accents dropped ("Lèche-vitrines" → "leche-vitrines")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "segment"


def _atomic_write(path: Path, write: Callable[[Any], None]) -> Path:
    with atomic_write(path, newline="") as handle:
        write(handle)
    return path


def read_consented(path: Path) -> list[int]:
    """Raw customer ids from a CSV: one id per line, or a column named user_id / customer_id / id."""
    if not path.is_file():
        raise ShopgraphError(f"--consented {path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return []
    column = 0
    header = [cell.strip().lower() for cell in rows[0]]
    start = 0
    if not header[0].lstrip("-").isdigit():
        names = [n for n in ("user_id", "customer_id", "id") if n in header]
        if not names:
            raise ShopgraphError(f"--consented {path}: the header has no user_id, customer_id or id column")
        column, start = header.index(names[0]), 1
    ids: list[int] = []
    for line, row in enumerate(rows[start:], start=start + 1):
        cell = row[column].strip() if column < len(row) else ""
        if not re.fullmatch(r"\d+", cell):
            raise ShopgraphError(f"--consented {path}, line {line}: {cell!r} is not a customer id (digits only)")
        ids.append(int(cell))
    return ids


def export_segment(
    db: QueryRunner,
    workspace: Workspace,
    segment: str,
    out: Path | None = None,
    consented: Path | None = None,
    k: int = 10,
    progress: Progress | None = None,
    include_likely: bool = False,
) -> SegmentExport:
    """Write a current segment's customers as CSV: pseudonyms, or (with ``consented``) only consenting raw ids.

    Columns: [customer_id (the shop's raw id, only with ``consented``)], user_id (pseudonym),
    segment, confidence, [likely (yes for a customer below the activity threshold whose likely segment
    it is, only with ``include_likely``)], recommendations (top-``k`` product ids, best first,
    space-separated). Customers on the erasure list never appear, even if the graph still held them.
    """
    members = segment_members(db, segment, include_likely)
    if not members:
        raise ShopgraphError(unknown_segment_message(db, segment))
    erased = read_tombstones(workspace)
    kept = [m for m in members if m["user_id"] not in erased]
    erased_skipped = len(members) - len(kept)
    raw_of: dict[int, int] | None = None
    consented_ids = not_in_segment = None
    if consented is not None:
        raw = sorted(set(read_consented(consented)))
        raw_of = dict(zip(pseudonymise_ids(raw, load_key(workspace, create=False)), raw, strict=True))
        consented_ids = len(raw)
        in_segment = [m for m in kept if m["user_id"] in raw_of]
        not_in_segment = consented_ids - len(in_segment)
        kept = in_segment
    recommender = Recommender(db, k=k)
    results = []
    for i, member in enumerate(kept, start=1):
        results.append((member, recommender.for_context(member)))
        if progress and (i % 500 == 0 or i == len(kept)):
            progress("customers", i, len(kept))
    suffix = "-consented" if consented is not None else ""
    path = out or exports_dir(workspace) / f"segment-{slug(segment)}{suffix}.csv"

    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(
            (["customer_id"] if raw_of is not None else [])
            + ["user_id", "segment", "confidence"]
            + (["likely"] if include_likely else [])
            + ["recommendations"]
        )
        for member, recs in results:
            confidence = member["confidence"]
            writer.writerow(
                ([raw_of[member["user_id"]]] if raw_of is not None else [])
                + [member["user_id"], segment, "" if confidence is None else f"{confidence:.3f}"]
                + (["yes" if member["likely"] else "no"] if include_likely else [])
                + [" ".join(str(item.product_id) for item in recs.items)]
            )

    _atomic_write(path, write)
    likely = sum(1 for m in members if m["likely"])
    return SegmentExport(
        path, len(results), len(members) - likely, consented_ids, not_in_segment, erased_skipped, likely
    )


PROFILE_COLUMNS = (
    "segment_id",
    "name",
    "name_fr",
    "description",
    "customers",
    "share",
    "buyers",
    "conversion",
    "revenue_share",
    "avg_total_spent",
    "avg_n_orders",
    "avg_recency_days",
    "avg_purchase_rate",
    "avg_promo_share",
    "avg_order_value",
)
_BY_CUSTOMERS = (
    "customers",
    "share",
    "conversion",
    "revenue_share",
    "avg_total_spent",
    "avg_n_orders",
    "avg_recency_days",
    "avg_purchase_rate",
    "avg_promo_share",
    "description",
)
_BY_BUYERS = ("buyers", "avg_order_value")


def anonymised_profiles(rows: list[dict[str, Any]], k: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Profiles with every cell describing fewer than ``k`` customers set to None, and what was suppressed.

    A segment's size, shares and averages describe its customers; ``buyers`` and the average
    order value its buyers; each preferred category or brand the segment's customers who bought
    in it. A count of 0 describes nobody and stays. The totals used for shares are taken before
    suppression (they describe everyone).
    """
    if k < 1:
        raise ShopgraphError("--k-anonymity must be at least 1")
    total_customers = sum(r["customers"] for r in rows)
    total_revenue = sum(r["revenue"] or 0.0 for r in rows)
    out: list[dict[str, Any]] = []
    suppressed: list[str] = []
    for row in rows:
        profile = {name: row.get(name) for name in PROFILE_COLUMNS}
        profile["share"] = row["customers"] / total_customers if total_customers else 0.0
        profile["conversion"] = row["buyers"] / row["customers"] if row["customers"] else None
        profile["revenue_share"] = (row["revenue"] or 0.0) / total_revenue if total_revenue else 0.0
        label = f"segment {row['name']!r}"
        cells: list[str] = []
        if row["customers"] < k:
            cells += [c for c in _BY_CUSTOMERS if profile[c] is not None]
            for c in _BY_CUSTOMERS:
                profile[c] = None
            suppressed.append(f"{label}: {', '.join(cells)} (describe {row['customers']} < {k} customers)")
        if 0 < row["buyers"] < k and any(profile[c] is not None for c in _BY_BUYERS):
            cells = [c for c in _BY_BUYERS if profile[c] is not None]
            for c in _BY_BUYERS:
                profile[c] = None
            suppressed.append(f"{label}: {', '.join(cells)} (describe {row['buyers']} < {k} buyers)")
        kept_prefs = []
        for pref in row["preferences"] or []:
            if 0 < pref["customers"] < k:
                suppressed.append(
                    f"{label}: preferred {pref['kind']} {pref['name']!r} "
                    f"(describes {pref['customers']} < {k} customers)"
                )
            else:
                kept_prefs.append(
                    {"kind": pref["kind"], "name": pref["name"], "lift": pref["lift"], "customers": pref["customers"]}
                )
        profile["preferred_categories"] = [p for p in kept_prefs if p["kind"] == "category"]
        profile["preferred_brands"] = [p for p in kept_prefs if p["kind"] == "brand"]
        out.append(profile)
    return out, suppressed


COVERED = ("segment", "likely", "neither")


def coverage_rows(rows: list[dict[str, Any]], k: int) -> list[dict[str, Any]]:
    """Customers and revenue with a segment, with a likely segment only, with neither (export/coverage), with
    their shares; a group of fewer than ``k`` customers has its figures suppressed (None)."""
    found = {r["covered"]: r for r in rows}
    customers = sum(r["customers"] for r in rows) or 1
    revenue = sum(r["revenue"] or 0.0 for r in rows) or 1.0
    out = []
    for name in COVERED:
        row = found.get(name, {"customers": 0, "revenue": 0.0})
        shown = row["customers"] == 0 or row["customers"] >= k
        out.append(
            {
                "covered": name,
                "customers": row["customers"] if shown else None,
                "customer_share": row["customers"] / customers if shown else None,
                "revenue_share": (row["revenue"] or 0.0) / revenue if shown else None,
            }
        )
    return out


def _write_coverage_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    def write(handle) -> None:
        writer = csv.writer(handle)
        writer.writerow(["covered", "customers", "customer_share", "revenue_share"])
        for r in rows:
            writer.writerow([r["covered"], *(SUPPRESSED if r[c] is None else r[c] for c in list(r)[1:])])

    return _atomic_write(path, write)


def export_profiles(
    db: QueryRunner, workspace: Workspace, fmt: str = "csv", k: int = DEFAULT_K_ANONYMITY, out: Path | None = None
) -> ProfileExport:
    """Write the current segments' profiles as CSV or JSON with k-anonymity applied (see anonymised_profiles)."""
    if fmt not in ("csv", "json"):
        raise ShopgraphError(f"--format {fmt!r}: use csv or json")
    rows = db.run("export/segment_profiles", top=PROFILE_TOP)
    if not rows:
        raise ShopgraphError("the graph holds no current segmentation: run `shopgraph segment` first")
    profiles, suppressed = anonymised_profiles(rows, k)
    cover = coverage_rows(db.run("export/coverage"), k)
    path = out or exports_dir(workspace) / f"segment-profiles.{fmt}"
    coverage_path = None
    if fmt == "json":
        doc = {"k_anonymity": k, "suppressed": suppressed, "coverage": cover, "segments": profiles}
        _atomic_write(path, lambda h: h.write(json.dumps(doc, indent=2, default=str) + "\n"))
    else:

        def write(handle) -> None:
            writer = csv.writer(handle)
            prefs = [
                f"{kind}_{i}{part}"
                for kind in ("category", "brand")
                for i in range(1, PROFILE_TOP + 1)
                for part in ("", "_lift")
            ]
            writer.writerow([*PROFILE_COLUMNS, *prefs])
            for p in profiles:
                cells = [
                    SUPPRESSED
                    if p[c] is None and c not in ("name_fr", "description")
                    else ("" if p[c] is None else p[c])
                    for c in PROFILE_COLUMNS
                ]
                for kind in ("categories", "brands"):
                    items = p[f"preferred_{kind}"]
                    for i in range(PROFILE_TOP):
                        cells += [items[i]["name"], f"{items[i]['lift']:.3f}"] if i < len(items) else ["", ""]
                writer.writerow(cells)

        _atomic_write(path, write)
        coverage_path = _write_coverage_csv(path.with_name(f"{path.stem}-coverage.csv"), cover)
    return ProfileExport(path, len(profiles), k, suppressed, cover, coverage_path)
