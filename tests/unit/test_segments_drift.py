"""Drift figures and the assign-or-retrain decision (segments/drift.py)."""

from __future__ import annotations

import numpy as np
import pytest

from segments.drift import PSI_RETRAIN, measure_drift, psi, share_psi


def test_psi_is_zero_for_the_same_distribution_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=20_000)
    assert psi(reference, rng.normal(size=20_000)) < 0.01
    small, large = psi(reference, rng.normal(0.3, 1, 20_000)), psi(reference, rng.normal(1.5, 1, 20_000))
    assert 0.02 < small < large
    assert large > PSI_RETRAIN


def test_psi_ignores_nan_and_handles_ties_and_empty_sides() -> None:
    reference = np.array([0.0] * 900 + [1.0] * 100)  # deciles all tied at 0 but the last
    assert psi(reference, reference.copy()) == pytest.approx(0.0, abs=1e-12)
    assert psi(np.array([np.nan, 1.0, 2.0]), np.array([np.nan, np.nan])) is None
    assert np.isfinite(psi(reference, np.full(50, 7.0)))


def test_psi_sees_customers_leave_a_point_mass() -> None:
    """A share that is 0 for every reference customer (no promotion in the trained months) and above 0 for
    half the new ones: left-closed bins put 0 and the values above it in one bin and read 0."""
    rng = np.random.default_rng(9)
    none = np.zeros(2000)
    half = np.r_[np.zeros(1000), rng.uniform(0.05, 0.5, 1000)]
    assert psi(none, half) > 1.0
    assert psi(none, np.zeros(500)) == pytest.approx(0.0, abs=1e-12)


def test_share_psi_matches_the_formula() -> None:
    ref, cur = np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.4, 0.2])
    assert share_psi(ref, cur) == pytest.approx(float(np.sum((cur - ref) * np.log(cur / ref))))


def _metrics(rng: np.random.Generator, n: int, shift: float = 0.0) -> dict[str, np.ndarray]:
    return {
        "purchase_rate": rng.beta(2, 20, n) + shift,
        "promo_share": rng.beta(2, 5, n) + shift,
        "events_per_session": rng.lognormal(1.5, 0.5, n) + 10 * shift,
    }


def test_same_behaviour_assigns_and_says_why() -> None:
    rng = np.random.default_rng(1)
    report = measure_drift(
        _metrics(rng, 5000),
        _metrics(rng, 800),
        training_shares={1: 0.5, 2: 0.5},
        new_segments=rng.integers(1, 3, 800),
        new_low_confidence=rng.random(800) < 0.05,
        training_low_confidence_share=0.05,
    )
    assert not report.retrain
    assert report.decision.startswith("assign with the trained classifier")
    assert set(report.metric_psi) == {"purchase_rate", "promo_share", "events_per_session"}


def test_shifted_behaviour_retrains_naming_the_reason() -> None:
    rng = np.random.default_rng(2)
    report = measure_drift(_metrics(rng, 5000), _metrics(rng, 800, shift=0.3))
    assert report.retrain
    assert "median PSI" in report.decision


def test_new_segment_mix_or_unknown_customers_retrain() -> None:
    rng = np.random.default_rng(3)
    same = _metrics(rng, 2000)
    mix = measure_drift(
        same, _metrics(rng, 500), training_shares={1: 0.5, 2: 0.5}, new_segments=np.array([1] * 480 + [2] * 20)
    )
    assert mix.retrain and "segment-share PSI" in mix.decision
    unsure = measure_drift(
        same,
        _metrics(rng, 500),
        new_low_confidence=np.array([True] * 200 + [False] * 300),
        training_low_confidence_share=0.05,
    )
    assert unsure.retrain and "low-confidence share" in unsure.decision


def test_no_new_customers_is_nothing_to_do() -> None:
    report = measure_drift({"purchase_rate": np.ones(10)}, {})
    assert not report.retrain and report.decision == "no new customers: no drift to measure"


def test_new_customers_are_compared_above_the_activity_threshold_only() -> None:
    import pandas as pd

    from segments.drift import drift_of_new_customers

    rng = np.random.default_rng(4)
    n_old, n_new = 3000, 600
    rate = np.concatenate([rng.beta(2, 20, n_old), rng.beta(2, 20, n_new)])
    events = np.concatenate([rng.integers(5, 60, n_old), rng.integers(5, 60, n_new)])
    short = np.arange(n_old, n_old + 300)  # half the newcomers have two events and all-or-nothing rates
    rate[short], events[short] = rng.integers(0, 2, 300), 2
    features = pd.DataFrame({"user_id": np.arange(n_old + n_new), "n_events": events, "purchase_rate": rate})
    assignments = pd.DataFrame(
        {
            "user_id": np.arange(n_old),
            "segment_id": rng.integers(1, 3, n_old),
            "low_confidence": rng.random(n_old) < 0.05,
        }
    )
    new_ids = np.arange(n_old, n_old + n_new)
    update = pd.DataFrame(
        {
            "user_id": new_ids,
            "segment_id": np.where(np.isin(new_ids, short), 0, rng.integers(1, 3, n_new)),
            "low_confidence": rng.random(n_new) < 0.05,
        }
    )
    report = drift_of_new_customers(features, assignments, update, min_events=5)
    assert report.new_customers == 300 and not report.retrain
    assert drift_of_new_customers(features, assignments, update, min_events=1).metric_psi["purchase_rate"] > 0.25


def _customers(rng: np.random.Generator, n: int, abandon: float = 1.0, shares=(0.5, 0.3, 0.2)):
    import pandas as pd

    return pd.DataFrame(
        {
            "user_id": np.arange(n) + int(rng.integers(1, 10**9)),
            "n_events": rng.integers(8, 40, n),
            "purchase_rate": rng.beta(2, 20, n),
            "cart_abandonment_rate": np.minimum(rng.beta(2, 6, n) * abandon, 1.0),
            "view_to_cart_rate": rng.beta(2, 30, n) * abandon,
            "category_entropy": rng.gamma(4, 0.3, n) / abandon,
            "promo_share": rng.beta(2, 5, n),
            "segment_id": rng.choice([1, 2, 3], n, p=list(shares)),
            "low_confidence": rng.random(n) < 0.05,
        }
    )


def _update(new):
    return new[["user_id", "segment_id", "low_confidence"]].assign(segment="x", confidence=0.9)


def test_like_with_like_assigns_a_month_from_the_same_shop_and_retrains_on_changed_behaviour() -> None:
    from segments.drift import drift_of_new_customers

    rng = np.random.default_rng(4)
    trained = _customers(rng, 3000)
    reference = _customers(rng, 3000)  # the trained customers cut to the new customers' lengths
    same = _customers(rng, 600)
    features = pd_concat(trained, same)
    report = drift_of_new_customers(features, trained, _update(same), 5, reference)
    assert not report.retrain and "cut to the new customers' lengths" in report.decision
    changed = _customers(rng, 600, abandon=2.0, shares=(0.2, 0.3, 0.5))  # abandonment doubled, a new taste
    report = drift_of_new_customers(pd_concat(trained, changed), trained, _update(changed), 5, reference)
    assert report.retrain and {c["code"] for c in report.causes} >= {"median_psi", "segment_share_psi"}


def test_a_figure_needs_a_minimum_sample() -> None:
    from segments.drift import MIN_SAMPLE

    rng = np.random.default_rng(5)
    few = measure_drift(_metrics(rng, 5000), _metrics(rng, MIN_SAMPLE - 1, shift=0.3), new_segments=np.ones(50))
    assert not few.retrain and few.too_few and all(v is None for v in few.metric_psi.values())
    assert "fewer than the 200" in few.decision
    enough = measure_drift(_metrics(rng, 5000), _metrics(rng, MIN_SAMPLE, shift=0.3))
    assert enough.retrain and not enough.too_few
    sparse = {"purchase_rate": np.r_[np.full(900, np.nan), rng.beta(2, 20, 100)]}  # 100 finite values only
    assert measure_drift(_metrics(rng, 5000), sparse).metric_psi["purchase_rate"] is None


def pd_concat(*frames):
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def drift_shop(tmp_path_factory):
    from tests.support.drift_shop import segmented_shop

    root = tmp_path_factory.mktemp("drift-shop")
    return root, *segmented_shop(root / "shop")


@pytest.mark.chain
@pytest.mark.slow
def test_a_fourth_month_of_the_same_shop_is_assigned(drift_shop) -> None:
    from tests.support.drift_shop import fourth_month

    root, files, home = drift_shop
    report = fourth_month(files, home, root / "same", change=False)
    assert not report.too_few and report.new_customers >= 200  # a real comparison, not the small-sample way out
    assert not report.retrain, report.decision
    assert report.median_psi < 0.25 and report.segment_share_psi < 0.25
    assert "returning customers' events since the training window" in report.decision


@pytest.mark.chain
@pytest.mark.slow
def test_the_reference_cuts_returning_customers_events_since_the_window_else_whole_histories(
    drift_shop, monkeypatch
) -> None:
    """Whole histories start months before the new customers' (another calendar: at REES46 size the
    promotions of the new month alone read as a segment-share PSI of 1.36); the returning customers'
    events since the training window fall on the new customers' calendar."""
    import pandas as pd

    from segments import drift_reference, threshold
    from segments.drift import CUT_HISTORIES, RETURNING_HISTORIES
    from segments.runs import current_run_dir
    from segments.segmentation import read_features
    from tests.support.drift_shop import with_fourth_month

    root, files, home = drift_shop
    workspace = with_fourth_month(files, home, root / "reference", change=False)
    run_dir = current_run_dir(workspace)
    months, end = drift_reference.since_window(workspace, run_dir)
    assert months == ["2019-12", "2020-01"] and end.startswith("2019-12-31")  # from the month the window ends in
    assignments = pd.read_parquet(run_dir / "assignments.parquet")
    trained = assignments["user_id"][assignments["segment_id"] != 0].to_numpy()
    con = threshold.truncated_events(workspace, trained[:50], (5, 10), months, end)
    first = con.execute("SELECT min(event_time) FROM events").fetchone()[0]
    con.close()
    assert str(first) > end.replace("T", " ")
    features = read_features(workspace)
    new = ~features["user_id"].isin(assignments["user_id"])
    update = features.loc[new, ["user_id"]]
    reference = drift_reference.like_with_like(workspace, run_dir, features, assignments, update)
    assert reference.attrs["compared_with"] == RETURNING_HISTORIES and len(reference) >= 2_000
    monkeypatch.setattr(drift_reference, "RETURNING_MIN", 10**9)  # too few came back: whole histories
    reference = drift_reference.like_with_like(workspace, run_dir, features, assignments, update)
    assert reference.attrs["compared_with"] == CUT_HISTORIES


@pytest.mark.chain
@pytest.mark.slow
def test_a_fourth_month_with_abandonment_doubled_and_a_new_taste_retrains(drift_shop) -> None:
    from tests.support.drift_shop import fourth_month

    root, files, home = drift_shop
    report = fourth_month(files, home, root / "changed", change=True)
    assert report.retrain and {c["code"] for c in report.causes} >= {"median_psi", "segment_share_psi"}
    assert report.metric_psi["cart_abandonment_rate"] > 0.25 and report.metric_psi["category_entropy"] > 0.25


def test_run_retrains_only_when_both_references_say_so(monkeypatch) -> None:
    """The returning customers' reference first; when it says retrain, the whole histories' must say so too."""
    from types import SimpleNamespace

    from segments import drift_reference
    from segments.drift import CUT_HISTORIES, RETURNING_HISTORIES

    def fake(verdicts: dict[str, bool]):
        asked = []
        monkeypatch.setattr(
            drift_reference,
            "like_with_like",
            lambda *a, returning=True: RETURNING_HISTORIES if returning else CUT_HISTORIES,
        )

        def report(features, assignments, update, threshold, reference):
            asked.append(reference)
            return SimpleNamespace(retrain=verdicts[reference], compared_with=reference)

        monkeypatch.setattr(drift_reference, "drift_of_new_customers", report)
        return asked

    for returning, whole, chosen, asked_both in (
        (False, True, RETURNING_HISTORIES, False),  # the returning customers assign: no second look
        (True, False, CUT_HISTORIES, True),  # a bias of the returning reference alone: assign
        (True, True, RETURNING_HISTORIES, True),  # both see the change: retrain
    ):
        asked = fake({RETURNING_HISTORIES: returning, CUT_HISTORIES: whole})
        report = drift_reference.decide(None, None, None, None, None, 1)
        assert report.compared_with == chosen and report.retrain == (returning and whole)
        assert len(asked) == (2 if asked_both else 1)
