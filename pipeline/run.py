"""`shopgraph run`: month files to named segments in one command, doing only the work new inputs need.

Steps, in order: **ingest** (a file already in the store is a no-op) → **load** (files not yet
in the graph) → **features** (recomputed when the store changed) → **embed** (trained the
first time or with ``retrain``; afterwards new customers are folded in) → **segment** (the first
time or with ``retrain``: a new segmentation; afterwards the drift figures of :mod:`segments.drift`
decide between assigning the new customers with the trained classifier and retraining) → **vectors**
(the vectors of the customers at the segmentation's activity threshold onto ``User`` nodes, for
look-alike queries) → **report** (the recommendation hold-out of :mod:`segments.recommend_eval`,
then the dossier). `run` returns without waiting for Neo4j to build the look-alike index the vectors step
made anew: it says where the index stands, and `similar_customers` answers once it is online.

Each step but ingest and load (which track their own progress in the manifest and on
``(:IngestedFile)`` nodes) records a fingerprint of its inputs when it finishes
(:mod:`pipeline.state`); a re-run skips the steps whose inputs did not change, so an
interrupted run finishes where it stopped. The fingerprints chain (segment depends on the
features' and the embedding's) and include the source of the code that does each step
(:data:`STEP_CODE`): after an upgrade that changed it, embed and segment **retrain** rather
than fold in or assign with a model the old code made (segment: unless only the modules that decide or write
changed, :data:`NOT_THE_MODEL`; then it runs again and assigns).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.forecast import before_run
from pipeline.meter import PhaseClock, StepMeter
from pipeline.state import PipelineState, code_fingerprint, fingerprint, store_fingerprint
from shopgraph.locks import exclusive_lock
from shopgraph.progress import Progress, no_progress
from shopgraph.workspace import Workspace

# the packages whose source makes each step's output. Features reads the store through the modules named, not
# the rest of `events` (ingest, describe, synth): a change there recomputed every customer's features (11 min at
# REES46 month 4) and made the segment step assign them all again
STEP_CODE: dict[str, tuple[str, ...]] = {
    "features": ("features", "events.store", "events.buckets", "events.manifest", "events.spark_session"),
    "embed": ("embeddings", "events.interactions"),
    "vectors": ("graph",),
    "segment": ("segments",),
    "report": ("reports",),
}

# the modules of a step that decide or write but make none of its model: an upgrade that changes only them runs
# the step again (its key holds all of its source) without retraining (a retrain at REES46 size is ≈ 50 minutes
# and new segment ids)
NOT_THE_MODEL: dict[str, tuple[str, ...]] = {
    "segment": ("segments.assigning", "segments.drift", "segments.drift_reference", "segments.writeback"),
}

STEPS = ("ingest", "load", "features", "embed", "segment", "vectors", "report")


@dataclass
class StepOutcome:
    """What one step did: ``ran`` or ``skipped``, a one-line detail, its wall time and peak memory."""

    step: str
    status: str
    detail: str
    seconds: float = 0.0
    peak_mib: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds of each phase its progress named (PhaseClock)


@dataclass
class RunReport:
    steps: list[StepOutcome] = field(default_factory=list)
    decision: str = ""
    run_dir: Path | None = None
    report_paths: list[Path] = field(default_factory=list)
    lookalike_index: str = ""  # the look-alike index's state when `run` returned, e.g. "POPULATING 35 %"

    def outcome(self, step: str) -> StepOutcome | None:
        return next((s for s in self.steps if s.step == step), None)


@dataclass
class RunHooks:
    """How the caller shows progress: ``on_step(step, index, total)`` when a step starts,
    ``progress(label, done, total)`` inside it (both a :data:`~shopgraph.progress.Progress`), ``on_done(outcome,
    decision)`` when a step ends (the run's decision so far: a bench saves what a long month finished)."""

    on_step: Progress = no_progress
    progress: Progress = no_progress
    on_done: Callable[[StepOutcome, str], None] = lambda outcome, decision: None
    say: Callable[[str], None] = lambda line: None  # the forecast before the run, line by line


@dataclass
class RunOptions:
    retrain: bool = False
    pseudonymise: bool = True
    lang: str = "en"
    seed: int = 42
    memory_limit: str = "1GB"
    calendar: str | None = None
    batch_size: int = 5_000
    engine: str = "duckdb"  # or "spark": ingest and features on Spark (the spark extra)
    spark_master: str | None = None
    load_path: str = "auto"  # "bolt" or "bulk" force a path of the load step (graph.bulk.choose_load_path)
    check_resources: bool = True  # refuse to start when the forecast does not fit (pipeline/forecast.py)
    method: str | None = None  # the segmentation's method (segment --method); None: the default (leiden)


class _Runner:
    def __init__(self, workspace: Workspace, db: Any, options: RunOptions, hooks: RunHooks) -> None:
        self.workspace, self.db, self.options, self.hooks = workspace, db, options, hooks
        self.state = PipelineState.load(workspace)
        self.report = RunReport()
        self.progress = PhaseClock(hooks.progress)  # a new clock for each step (step())

    def step(self, name: str, work: Callable[[], tuple[str, str]]) -> None:
        """Run ``work`` (returning status and detail) under the meter and record the outcome."""
        self.hooks.on_step(name, STEPS.index(name) + 1, len(STEPS))
        self.progress = PhaseClock(self.hooks.progress)
        with StepMeter() as meter:
            status, detail = work()
            phases = self.progress.seconds()  # inside the meter: the phases end before the step does
        outcome = StepOutcome(name, status, detail, meter.seconds, meter.peak_mib, phases)
        self.report.steps.append(outcome)
        self.hooks.on_done(self.report.steps[-1], self.report.decision)

    # ---- steps -------------------------------------------------------------------------
    def ingest(self, paths: Sequence[Path]) -> tuple[str, str]:
        from events.ingest import ingest_files

        if not paths:
            return "skipped", "no files given"

        def progress_for(path: Path) -> Progress:
            return lambda phase, done, total: self.progress(f"{path.name} {phase}", done, total)

        if self.options.engine == "spark":
            from events.spark_ingest import ingest_files_spark

            results, _ = ingest_files_spark(
                self.workspace,
                paths,
                pseudonymise=self.options.pseudonymise,
                progress=progress_for,
                master=self.options.spark_master,
            )
        else:
            results, _ = ingest_files(
                self.workspace,
                paths,
                pseudonymise=self.options.pseudonymise,
                progress=progress_for,
                memory_limit=self.options.memory_limit,
            )
        new = [r for r in results if r.status == "ingested"]
        if not new:
            return "skipped", f"{len(results)} file(s) already in the store"
        kept = sum(r.entry.rows_kept for r in new)
        rejected = sum(r.entry.rows_rejected for r in new)
        return "ran", f"{len(new)} new file(s): {kept:,} events kept, {rejected:,} rejected"

    def load(self) -> tuple[str, str]:
        from graph.bulk import bulk_load, choose_load_path
        from graph.load import load
        from shopgraph.settings import Settings

        settings = Settings.from_env()
        path, why = choose_load_path(self.db, settings, self.workspace, self.options.load_path)
        self.progress(f"load through {path}: {why}", 0, 0)
        if path == "bulk":
            bulk = bulk_load(self.db, settings, self.workspace, say=lambda phase: self.progress(phase, 0, 0))
            return "ran", f"bulk import ({why}): {len(bulk.files_loaded)} file(s) in {bulk.seconds:.1f}s"
        report = load(
            self.db,
            self.workspace,
            batch_size=self.options.batch_size,
            progress=self.progress,
        )
        if not report.files_loaded:
            return "skipped", f"{len(report.files_skipped)} file(s) already in the graph"
        loaded = f"{len(report.files_loaded)} file(s) loaded in {report.seconds:.1f}s"
        return "ran", f"Bolt ({why}): {loaded}{report.retried_note()}"

    def features(self, key: str) -> tuple[str, str]:
        from features.calendar import load_calendar
        from features.compute import read_sidecar
        from features.graph_write import write_user_features
        from graph.load import WRITERS

        if self.state.is_done("features", key):
            return "skipped", "the event store did not change"
        table = self._feature_table(load_calendar(self.options.calendar))
        self.progress("the rows that moved", 0, 0)  # the comparison with the graph's copy: a phase of its own
        written = write_user_features(
            self.db,
            table.path,
            batch_size=self.options.batch_size,
            computed_at=str(read_sidecar(self.workspace)["computed_at"]),
            progress=lambda done, total: self.progress("User properties", done, total),
            writers=WRITERS,
        )
        self.state.mark_done("features", key, step_code("features"))
        kept = f", {written.unchanged:,} unchanged, not sent" if written.unchanged else ""
        return "ran", f"{table.rows:,} users ({written.matched:,} User nodes updated{kept})"

    def _feature_table(self, calendar: Any) -> Any:
        """The feature table, computed by the engine the options name."""
        from features.compute import build_user_features

        def say(phase: str) -> None:
            self.progress(phase, 0, 0)

        if self.options.engine == "spark":
            from features.spark_features import build_user_features_spark

            return build_user_features_spark(self.workspace, calendar, say=say, master=self.options.spark_master)
        return build_user_features(self.workspace, calendar, say=say)

    def _users_now(self) -> int:
        """Customers in the feature table (every customer with events), read from its footer."""
        import pyarrow.parquet as pq

        from features.compute import FEATURES_FILE

        return pq.ParquetFile(self.workspace.features_dir / FEATURES_FILE).metadata.num_rows

    def embed(self, key: str) -> tuple[str, str]:
        from embeddings.training import embed, fold_in_new_users, outgrown

        vectors = self.workspace.embeddings_dir / "user_vectors.parquet"
        if self.state.is_done("embed", key) and vectors.exists() and not self.options.retrain:
            return "skipped", "no new interactions"
        progress = self.progress
        new_code = self.state.code_changed("embed", step_code("embed"))
        grown = None if not vectors.exists() else outgrown(self.workspace, self._users_now())
        if self.options.retrain or not vectors.exists() or new_code or grown:
            result = embed(self.workspace, seed=self.options.seed, progress=progress)
            c = result.counts
            detail = (
                f"{result.method} trained on {c['users_trained']:,} users + {c['products']:,} products, "
                f"{c['users_folded']:,} users folded in"
                + _threads_note(result.tokens.get("training_threads", 1))
                + (
                    "; retrained: shopgraph's embedding code changed since the last run"
                    if new_code and not self.options.retrain and vectors.exists()
                    else f"; retrained: {grown}"
                    if grown and not self.options.retrain
                    else ""
                )
            )
        else:
            result = fold_in_new_users(self.workspace, progress=progress)
            detail = f"{result.counts['users_folded_now']:,} new customer(s) folded in, no retraining"
        self.state.mark_done("embed", key, step_code("embed"))
        self.state.forget("vectors")
        return "ran", detail

    def vectors(self, key: str, floor: int) -> tuple[str, str]:
        """The vectors of the customers with ``floor`` or more events (:func:`lookalike_floor`) onto the graph."""
        from graph.vectors import write_user_vectors

        if self.state.is_done("vectors", key):
            return "skipped", "vectors on User nodes are current"
        written = write_user_vectors(
            self.db,
            self.workspace,
            batch_size=self.options.batch_size,
            progress=self.progress,
            min_events=floor,
            wait_for_index=False,  # Neo4j populates it on one thread beside the report step and after `run`
        )
        self.state.mark_done("vectors", key, step_code("vectors"))
        return "ran", (
            f"{written.matched:,} User vectors ({written.dimensions} dimensions; customers with "
            f"≥ {floor} events{_floor_words(self.workspace, floor)}) on the graph, {written.written:,} of them "
            "written now (the others unchanged), vector index user_embedding "
            + (
                "made anew (Neo4j populates it beside the report step)"
                if written.index_created
                else ("updated in place" if written.written else "as it was")
            )
        )

    def lookalike_index(self) -> None:
        """Say where the look-alike index stands (``report.lookalike_index``) without waiting for it: Neo4j builds
        it on one thread (777 s for 6.5 M vectors, over 40 minutes after a restart at REES46 month 4), the segments,
        the dossier and every other query are ready, and `similar_customers` says when it is not online yet."""
        from graph.schema import index_state
        from graph.vectors import INDEX_NAME

        if found := index_state(self.db, INDEX_NAME):
            state, percent = found
            self.report.lookalike_index = state if state == "ONLINE" else f"{state} {percent:.0f} %"

    def segment(self, key: str) -> tuple[str, str]:
        from segments.assigning import classify_new_customers
        from segments.drift_reference import decide as decide_drift
        from segments.runs import current_run_dir, embedding_changed, read_json, write_json
        from segments.segmentation import RULE_METHOD, resolve_method, segment
        from segments.similar import write_similar
        from segments.writeback import keep_written_before_assign, write_run
        from shopgraph.memory import release_freed_memory

        previous = current_run_dir(self.workspace)
        if self.state.is_done("segment", key) and previous is not None and not self.options.retrain:
            self.report.run_dir = previous
            self.report.decision = "segments are current: nothing to assign"
            return "skipped", self.report.decision
        progress = self.progress
        drift = None
        new_code = previous is not None and self.state.code_changed("segment", model_code("segment"))
        asked = resolve_method(self.options.method)
        made_with = None if previous is None else read_json(previous / "run.json").get("parameters", {}).get("method")
        new_method = previous is not None and made_with != asked
        re_embedded = None if previous is None else embedding_changed(self.workspace, previous)
        if previous is None or self.options.retrain or new_code or new_method or re_embedded:
            why = (
                "forced by --retrain"
                if self.options.retrain
                else "first segmentation"
                if previous is None
                else "shopgraph's segmentation code changed since the last run"
                if new_code
                else f"method {asked or RULE_METHOD}, the current run's was {made_with or RULE_METHOD}"
                if new_method
                else f"{re_embedded}: its classifier read the earlier vectors"
            )
            run_dir = segment(
                self.workspace, method=self.options.method, seed=self.options.seed, progress=progress
            ).run_dir
            self.report.decision = f"retrained ({why})"
        else:
            threshold = int(read_json(previous / "run.json").get("threshold") or 1)

            def decide(features, assignments, update) -> bool:
                nonlocal drift
                progress("drift check", 0, 0)  # its own bar, and its own phase in the step's timing (PhaseClock)
                drift = decide_drift(self.workspace, previous, features, assignments, update, threshold)
                return not drift.retrain

            keep_written_before_assign(self.workspace)
            assigned = classify_new_customers(self.workspace, progress=progress, decide=decide)
            if assigned.applied:
                run_dir = previous
                self.report.decision = (
                    f"assigned {assigned.new_users:,} new and {assigned.changed_users:,} changed customer(s) "
                    f"with the trained classifier, {assigned.low_confidence:,} with low confidence "
                    f"({drift.decision.split(': ', 1)[-1] if drift else 'no drift figures'})"
                )
            else:
                run_dir = segment(
                    self.workspace, method=self.options.method, seed=self.options.seed, progress=progress
                ).run_dir
                self.report.decision = f"retrained: {drift.decision.removeprefix('retrain: ')}"
        if drift is not None:  # the figures behind the decision, for the dossier's "over time" section
            record = read_json(run_dir / "run.json")
            record["drift"] = drift.as_record()
            write_json(run_dir / "run.json", record)
        release_freed_memory()  # the write-back starts from what the segmentation kept, not from its peak
        users = self.db.user_nodes()  # read once for both writes (graph/node_ids.py): they create no customer
        write_run(self.db, self.workspace, run_dir, progress=progress, nodes=users)
        write_similar(self.db, run_dir, progress=progress, nodes=users)
        self.db.run("analyst/indexes")  # what the analysts' queries need at scale (docs/BENCHMARKS.md)
        self.report.run_dir = run_dir
        self.state.mark_done("segment", key, model_code("segment"))
        self.state.forget("report")
        return "ran", self.report.decision

    def dossier(self, key: str) -> tuple[str, str]:
        from reports.dossier import STEPS as REPORT_STEPS
        from reports.dossier import build_dossier

        lang = self.options.lang
        paths = [self.workspace.reports_dir / f"dossier-{lang}.{ext}" for ext in ("html", "pdf")]
        if self.state.is_done("report", key) and all(p.exists() for p in paths):
            self.report.report_paths = paths
            return "skipped", "the report is current"
        from events.describe import describe

        self.progress("describe the event store", 0, REPORT_STEPS)
        described = describe(self.workspace, None, say=lambda what: self.progress(f"describe: {what}", 0, 0))
        self.progress("describe the event store: adding up the months", 0, 0)
        described.save(self.workspace.reports_dir / "describe.json")
        from segments.recommend_eval import current_evaluation, evaluate_recommendations

        # the hold-out is redone only for a new segmentation run or new months (not for another --lang)
        def progress(label: str, done: int, total: int) -> None:
            self.progress(f"recommendation hold-out: {label}", done, total)

        evaluation = current_evaluation(self.workspace, progress=progress) or evaluate_recommendations(
            self.workspace, progress=progress
        )
        written = build_dossier(self.workspace, lang=lang, progress=self.progress)
        self.report.report_paths = [written.html, written.pdf]
        self.state.mark_done("report", key, step_code("report"))
        missing = f"; sections missing an input: {', '.join(written.incomplete)}" if written.incomplete else ""
        holdout = (
            f"recommendation hold-out: no figures ({evaluation.reason})"
            if evaluation.reason
            else f"recommendation hold-out on {evaluation.record['users']:,} customers"
        )
        return "ran", f"{written.html.name} and {written.pdf.name}; {holdout}{missing}"


def _threads_note(threads: int) -> str:
    """Says when skip-gram ran on several threads: vectors then differ slightly from run to run."""
    return (
        f"; skip-gram on {threads} threads (not reproducible to the digit; `embed --workers 1` is)"
        if threads > 1
        else ""
    )


def step_code(step: str) -> str:
    """The fingerprint of the source that does ``step`` (:data:`STEP_CODE`)."""
    return code_fingerprint(*STEP_CODE[step])


def model_code(step: str) -> str:
    """The fingerprint of the source that makes ``step``'s model (:data:`STEP_CODE` but :data:`NOT_THE_MODEL`):
    when it changed since the step last ran, the step retrains."""
    return code_fingerprint(*STEP_CODE[step], leave_out=NOT_THE_MODEL.get(step, ()))


def lookalike_floor(workspace: Workspace) -> int:
    """The events from which a customer's vector goes on the graph for look-alike queries: the current
    segmentation's activity threshold (below it a customer has no segment, only a likely one), or
    ``MIN_EVENTS_TO_CLUSTER`` before any segmentation. At month 4 of the REES46-sized bench that is 1.98 M
    vectors instead of the 8.53 M with ≥ 5 events, whose index Neo4j had not built after 76 minutes on its one
    thread (docs/BENCHMARKS.md, "A look-alike index bounded by the threshold")."""
    from segments.segmentation import MIN_EVENTS_TO_CLUSTER

    threshold = _current_threshold(workspace)
    return max(MIN_EVENTS_TO_CLUSTER, threshold) if threshold is not None else MIN_EVENTS_TO_CLUSTER


def _current_threshold(workspace: Workspace) -> int | None:
    """The current segmentation's activity threshold (None before any)."""
    from segments.runs import current_run_dir, read_json

    run = current_run_dir(workspace)
    threshold = read_json(run / "run.json").get("threshold") if run is not None else None
    return None if threshold is None else int(threshold)


def _floor_words(workspace: Workspace, floor: int) -> str:
    """What :func:`lookalike_floor`'s figure is, for the step's line: the threshold, or the clustering's floor
    when the threshold is lower (a run whose threshold is 1) or there is no segmentation yet."""
    threshold = _current_threshold(workspace)
    if threshold == floor:
        return ", the activity threshold"
    return ", the fewest events a customer is clustered with" + (
        f"; the activity threshold is {threshold}" if threshold is not None else ""
    )


def run_pipeline(
    workspace: Workspace,
    db: Any,
    paths: Sequence[Path],
    options: RunOptions | None = None,
    hooks: RunHooks | None = None,
) -> RunReport:
    """Run every step on ``paths`` (already expanded), skipping what is current; see the module docstring."""
    options = options or RunOptions()
    hooks = hooks or RunHooks()
    with run_lock(workspace):
        before_run(workspace, list(paths), enforce=options.check_resources, say=hooks.say)  # before any work
        return _run_steps(workspace, db, paths, options, hooks)


RUN_LOCK = ".run.lock"  # in the home: a run refused by its forecast leaves no pipeline/ folder


@contextmanager
def run_lock(workspace: Workspace) -> Iterator[None]:
    """One `run` at a time per workspace: a second one (a scheduler starting next month's while this one works)
    stops at once in one line naming the first, before it reads anything. Two at once raced on
    ``pipeline/state.json`` and the step files, each step's own lock guarding only its own writes."""
    path = workspace.home / RUN_LOCK
    try:
        holder = path.read_text(encoding="utf-8").strip() or "another process"
    except OSError:
        holder = "another process"
    with exclusive_lock(path, f"another `shopgraph run` ({holder}) is working on {workspace.home}: wait for it"):
        path.write_text(f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M UTC}\n", encoding="utf-8")
        yield


def _run_steps(workspace: Workspace, db: Any, paths: Sequence[Path], options: RunOptions, hooks: RunHooks) -> RunReport:
    runner = _Runner(workspace, db, options, hooks)
    runner.step("ingest", lambda: runner.ingest(paths))
    runner.step("load", runner.load)
    store = store_fingerprint(workspace)
    features_key = fingerprint("features", store, options.calendar, step_code("features"))
    runner.step("features", lambda: runner.features(features_key))
    embed_key = fingerprint("embed", store, step_code("embed"))
    runner.step("embed", lambda: runner.embed(embed_key))
    method = () if options.method is None else (options.method,)  # the rule's key as before --method existed
    segment_key = fingerprint("segment", features_key, embed_key, step_code("segment"), *method)
    runner.step("segment", lambda: runner.segment(segment_key))
    run_name = runner.report.run_dir.name if runner.report.run_dir else None
    floor = lookalike_floor(workspace)
    vectors_key = fingerprint("vectors", embed_key, floor, step_code("vectors"))
    runner.step("vectors", lambda: runner.vectors(vectors_key, floor))
    runner.step(
        "report",
        lambda: runner.dossier(fingerprint("report", segment_key, run_name, options.lang, step_code("report"))),
    )
    runner.lookalike_index()
    return runner.report
