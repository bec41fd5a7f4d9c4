"""Committed histories of PharmacyOrderWorkflow replay cleanly with today's code
(recorded by make_histories.py), and each path shows its statuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.histories import assert_replays, shown_statuses

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    await assert_replays(path)


def _statuses(name: str) -> list[str]:
    return shown_statuses(HISTORIES[0].parent / f"{name}.json")


def test_each_path_has_a_history() -> None:
    s = "pharmacy_order_"
    assert _statuses("pharmacy_order_rejected") == [
        f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}rejected"]
    assert _statuses("pharmacy_order_canceled") == [f"{s}requested", f"{s}canceled"]
    assert _statuses("pharmacy_order_expired_not_quoted") == [f"{s}requested", f"{s}expired"]
    assert _statuses("pharmacy_order_expired_not_paid") == [
        f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}validated", f"{s}expired"]
    assert _statuses("pharmacy_order_expired_paid_late_refunded") == [
        f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}validated", f"{s}expired"]
    paid = [f"{s}requested", f"{s}quoted", f"{s}ordered", f"{s}validated", f"{s}paid"]
    assert _statuses("pharmacy_order_collected") == [*paid, f"{s}collected"]
    assert _statuses("pharmacy_order_expired_not_collected_refunded") == [*paid, f"{s}expired"]
