"""Committed histories of the payment workflows replay cleanly with today's code: a change
that would break workflows already running fails here (histories: make_histories.py).

They replay through the production data converter: the histories recorded before the
payload codec are clear text, which it reads as it is; newer ones are encrypted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from core.settings import TemporalSettings
from core.temporal_client import data_converter
from tests.support.histories import payload_value
from workflows.payment import ASYNC_REFUNDS_PATCH, FINAL_AT_CREATION_PATCH, PaymentWorkflow
from workflows.purchase import PurchaseWorkflow
from workflows.subscription import SAVED_CARD_PATCH, SubscriptionWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_the_pending_refund_path_has_a_history() -> None:
    """Refunds polled at the provider (behind a patch) are covered by a recorded run."""
    events = json.loads(HISTORIES[0].with_name("payment_refund_polled.json").read_text())[
        "events"]
    assert _patches(events) == [ASYNC_REFUNDS_PATCH]
    polls = [e for e in events if e.get("activityTaskScheduledEventAttributes", {}).get(
        "activityType", {}).get("name") == "check_refund_status"]
    assert len(polls) == 2


def _patches(events: list[dict]) -> list[str]:
    return [payload_value(marker["details"]["patch-data"]["payloads"][0])["id"]
            for e in events if (marker := e.get("markerRecordedEventAttributes"))]


def _activities(events: list[dict]) -> list[tuple[str, dict]]:
    return [(a["activityType"]["name"], payload_value(a["input"]["payloads"][0]))
            for e in events if (a := e.get("activityTaskScheduledEventAttributes"))]


def test_the_off_session_renewal_has_a_history() -> None:
    """A card saved at the first payment, charged off-session at the renewal (behind the
    patches): no payment link was sent, the renewal payment never waited for the payer."""
    folder = HISTORIES[0].parent
    sub = json.loads((folder / "subscription_card_saved_renewed_off_session.json")
                     .read_text())["events"]
    assert _patches(sub) == [SAVED_CARD_PATCH]
    done = _activities(sub)
    assert [name for name, _ in done].count("save_card") == 1
    assert [data["template"] for name, data in done if name == "send_message"] == [
        "subscription_activated", "renewal_reminder", "subscription_renewed"]
    payment = json.loads((folder / "payment_charged_off_session.json").read_text())["events"]
    assert _patches(payment) == [FINAL_AT_CREATION_PATCH]
    assert [name for name, _ in _activities(payment)] == [
        "create_payment", "record_payment_status", "issue_invoice"]


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(workflows=[PaymentWorkflow, SubscriptionWorkflow, PurchaseWorkflow],
                        data_converter=data_converter(TemporalSettings()))
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
