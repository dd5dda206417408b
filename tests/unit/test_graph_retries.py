"""The driver's retries of a deadlocked transaction are counted and kept off the terminal; other warnings show."""

from __future__ import annotations

import logging

import pytest

from graph.connection import RETRIED
from graph.load import LoadReport


def test_a_retry_warning_is_counted_not_shown_and_other_warnings_still_show(caplog: pytest.LogCaptureFixture) -> None:
    driver_log = logging.getLogger("neo4j.session")  # where the driver's retry loop logs
    before = RETRIED.count
    with caplog.at_level(logging.WARNING):
        driver_log.warning("Transaction failed and will be retried in %ss (%s)", 0.87, "DeadlockDetected …")
        driver_log.warning("Auto-commit transaction failed and will be retried (%s)", "DeadlockDetected …")
        driver_log.warning("something else the driver says")
    assert RETRIED.count == before + 2
    assert [r.getMessage() for r in caplog.records] == ["something else the driver says"]


def test_the_load_report_names_the_retries_only_when_there_were_some() -> None:
    assert LoadReport().retried_note() == ""
    assert LoadReport(retried=2).retried_note() == "; 2 batch(es) retried after a deadlock between the writers"
