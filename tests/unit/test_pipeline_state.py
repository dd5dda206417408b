"""The run's step bookkeeping (pipeline/state.py) and step meter (pipeline/meter.py)."""

from __future__ import annotations

import mmap
import time

from pipeline.meter import StepMeter
from pipeline.state import PipelineState, code_fingerprint, fingerprint


def test_a_finished_step_is_skipped_only_for_the_same_inputs(workspace) -> None:
    state = PipelineState.load(workspace)
    key = fingerprint("features", [["abc", 10]])
    assert not state.is_done("features", key)
    state.mark_done("features", key)
    again = PipelineState.load(workspace)  # persisted
    assert again.is_done("features", key)
    assert not again.is_done("features", fingerprint("features", [["abc", 9]]))  # forget changed the store
    again.forget("features")
    assert not again.is_done("features", key)


def test_an_unreadable_state_file_means_every_step_runs_again(workspace) -> None:
    path = workspace.home / "pipeline" / "state.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    assert PipelineState.load(workspace).steps == {}


def test_fingerprint_is_stable_and_order_of_keys_free() -> None:
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    assert fingerprint("x", 1) != fingerprint("x", 2)


def test_step_meter_sees_memory_allocated_inside_the_step() -> None:
    with StepMeter(interval=0.01) as before:
        pass
    with StepMeter(interval=0.01) as meter:
        block = mmap.mmap(-1, 200 * 1024 * 1024)  # fresh pages, never memory the process already holds
        for offset in range(0, len(block), 4096):
            block[offset] = 1  # touch every page so it is resident
        time.sleep(0.5)  # the sampler sees what is held for longer than its interval
        block.close()
    assert meter.peak_mib >= before.peak_mib + 150
    assert meter.seconds > 0


def test_code_fingerprint_follows_the_source_of_the_packages(tmp_path, monkeypatch) -> None:
    package = tmp_path / "shopgraph_probe_pkg"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    (package / "inner" / "rules.cypher").write_text("RETURN 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    code_fingerprint.cache_clear()
    first = code_fingerprint("shopgraph_probe_pkg")
    (package / "inner" / "rules.cypher").write_text("RETURN 2\n", encoding="utf-8")
    code_fingerprint.cache_clear()
    assert code_fingerprint("shopgraph_probe_pkg") != first  # a resource counts as code
    (package / "inner" / "rules.cypher").write_text("RETURN 1\n", encoding="utf-8")
    code_fingerprint.cache_clear()
    assert code_fingerprint("shopgraph_probe_pkg") == first  # content, not modification times
    assert code_fingerprint("segments") != code_fingerprint("features")
    code_fingerprint.cache_clear()


def test_code_fingerprint_leaves_out_the_modules_it_is_told(tmp_path, monkeypatch) -> None:
    """The segment step's model fingerprint (pipeline.run.model_code) leaves out the modules that only decide
    or write: a change there must not retrain, a change anywhere else must."""
    package = tmp_path / "shopgraph_probe_leave"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    (package / "decide.py").write_text("LIMIT = 0.25\n", encoding="utf-8")
    (package / "inner" / "model.py").write_text("K = 8\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    leave = ("shopgraph_probe_leave.decide",)
    code_fingerprint.cache_clear()
    whole, model = code_fingerprint("shopgraph_probe_leave"), code_fingerprint("shopgraph_probe_leave", leave_out=leave)
    (package / "decide.py").write_text("LIMIT = 0.30\n", encoding="utf-8")
    code_fingerprint.cache_clear()
    assert code_fingerprint("shopgraph_probe_leave") != whole
    assert code_fingerprint("shopgraph_probe_leave", leave_out=leave) == model
    (package / "inner" / "model.py").write_text("K = 9\n", encoding="utf-8")
    code_fingerprint.cache_clear()
    assert code_fingerprint("shopgraph_probe_leave", leave_out=leave) != model
    code_fingerprint.cache_clear()


def test_code_changed_tells_new_code_from_new_data(workspace) -> None:
    state = PipelineState.load(workspace)
    assert not state.code_changed("segment", "abc")  # never ran: the first run, not an upgrade
    state.mark_done("segment", "key1", "abc")
    again = PipelineState.load(workspace)
    assert not again.code_changed("segment", "abc") and again.code_changed("segment", "def")
    again.forget("segment")  # made to run again: an upgrade still reads as one
    assert again.code_changed("segment", "def") and not again.code_changed("segment", "abc")
    legacy = workspace.home / "pipeline" / "state.json"  # written by a shopgraph that kept no code hash
    legacy.write_text('{"steps": {"segment": "key1"}}', encoding="utf-8")
    assert PipelineState.load(workspace).code_changed("segment", "abc")


def test_the_features_code_holds_every_events_module_the_features_read() -> None:
    """STEP_CODE names the `events` modules the features step imports (and what those import), not the whole
    package: a change in describe or synth must not recompute every customer, a change in the store's reader must."""
    import ast
    from pathlib import Path

    from pipeline.run import STEP_CODE

    repo = Path(__file__).resolve().parents[2]

    def events_imports(path: Path) -> set[str]:
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found |= {n for n in names if n.startswith("events.")}
        return found

    needed, todo = set(), [p for p in (repo / "features").glob("*.py")]
    while todo:
        for module in events_imports(todo.pop()) - needed:
            needed.add(module)
            todo.append(repo / (module.replace(".", "/") + ".py"))
    assert needed and needed <= set(STEP_CODE["features"])
