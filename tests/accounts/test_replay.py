"""Committed histories of the account processes replay cleanly with today's code, on the
worker's registration (histories: make_histories.py). `former_name_*` histories were
recorded before the workflow types were renamed (`DoctorLink` -> `DoctorLinkWorkflow`...):
they stand for runs in flight under the old names, which the worker still serves."""

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


def test_the_former_histories_show_the_former_statuses() -> None:
    """What makes their replay a proof: those runs showed bare statuses (`declined`), and no
    first one, where today's code shows `doctor_link_pending`, then `doctor_link_declined`
    (the SDK does not compare an upsert's values; the added first one is behind a patch)."""
    assert _statuses("former_name_doctor_link_declined") == ["declined"]
    assert _statuses("doctor_link_declined") == ["doctor_link_pending", "doctor_link_declined"]
    assert _statuses("former_name_account_validation_reminded_then_active") == [
        "email_validated", "profile_completed", "active"]
    assert _statuses("account_validation_reminded_then_active") == [
        "account_pending_email_validation", "account_email_validated",
        "account_profile_completed", "account_active"]


def test_each_path_of_a_password_reset_has_a_history() -> None:
    """make_password_reset_histories.py: a link used, replaced by a newer one, expired;
    each shows its first status from the run's first task."""
    assert _statuses("password_reset_used") == ["password_reset_pending", "password_reset_used"]
    assert _statuses("password_reset_superseded") == [
        "password_reset_pending", "password_reset_superseded"]
    assert _statuses("password_reset_expired") == [
        "password_reset_pending", "password_reset_expired"]
