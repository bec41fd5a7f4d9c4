"""What the people of a sponsorship do through the API, for the tests and the recorder."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from temporalio.api.testservice.v1 import UnlockTimeSkippingRequest
from temporalio.testing import WorkflowEnvironment

from db.engine import SessionMaker
from db.models import Message
from db.models.sponsorships import Sponsorship
from tests.payments.support import checkout, eventually
from tests.sponsorships.world import World


async def sponsor(api: httpx.AsyncClient, world: World, **changes: Any) -> dict[str, Any]:
    created = await api.post("/api/v1/sponsorships", headers=world.sponsor.headers,
                             json=world.body(**changes))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def pay(api: httpx.AsyncClient, created: dict[str, Any], outcome: str = "succeed"
              ) -> None:
    await checkout(api, created["payment"], outcome)


async def paid(api: httpx.AsyncClient, world: World, sessions: SessionMaker
               ) -> dict[str, Any]:
    """A sponsorship asked for and paid by card on the sandbox page: `confirmed`."""
    created = await sponsor(api, world)
    await pay(api, created)
    await status_becomes(sessions, created["id"], "confirmed")
    return created


async def status_becomes(sessions: SessionMaker, sponsorship_id: str, status: str) -> None:
    """The sponsorship's read model shows `status` (an activity's effect)."""
    async def shown() -> bool:
        async with sessions() as session:
            row = await session.get(Sponsorship, sponsorship_id, populate_existing=True)
            return row is not None and row.status == status
    await eventually(shown)


async def messages(sessions: SessionMaker, to: str) -> list[Message]:
    async with sessions() as session:
        return list((await session.scalars(
            select(Message).where(Message.to == to).order_by(Message.created_at))).all())


async def told(sessions: SessionMaker, to: str, count: int) -> list[Message]:
    """The messages to `to` once `count` are sent (an activity's effect); fails when they
    are not in time, or when more were sent."""
    async def sent() -> list[Message] | None:
        found = await messages(sessions, to)
        return found if len(found) >= count else None
    found = await eventually(sent)
    assert len(found) == count, [m.template for m in found]
    return found


async def skip_time_again(env: WorkflowEnvironment) -> None:
    """The time-skipping test server counts the API's update-with-start as a lock on time
    skipping that nothing releases (a run's result then never skips its timers, and
    `env.sleep` times out): release it once, after the POST that started the run."""
    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
