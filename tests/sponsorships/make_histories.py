"""Record the histories of SponsorshipWorkflow the replay tests check:
`uv run python -m tests.sponsorships.make_histories`.

Each path runs to its end on the time-skipping server, through the API (a sponsor in
France pays, in euros, for a consultation in Douala) with the real worker and activities on
a throwaway SQLite database, and is written under tests/sponsorships/histories/ as
`sponsorship_<path>.json`: not paid in time (the hold let go), the payment refused, paid
then completed, paid then canceled and refunded. The appointment process is its stand-in
(tests/sponsorships/standin.py: the same type name, input and signal). Record again (and
commit) only when a change is meant to be incompatible with sponsorships under way.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from domain.appointments import AppointmentStatus
from domain.sponsorships import sponsorship_workflow_id
from tests.sponsorships.flows import paid, pay, skip_time_again, sponsor
from tests.sponsorships.standin import StandInAppointmentWorkflow, StandInEnd
from tests.sponsorships.world import make_world
from tests.support.recording import RecordingStack, recording_stack, save_history

HISTORIES = Path(__file__).with_name("histories")
STAND_INS = [StandInAppointmentWorkflow]


async def _record(stack: RecordingStack, name: str, outcome: str | None) -> None:
    world = await make_world(stack.sessions, stack.settings)
    async with stack.api() as api:
        created = await sponsor(api, world)
        if outcome is not None:
            await pay(api, created, outcome)
        await skip_time_again(stack.env)
    handle = stack.client.get_workflow_handle(sponsorship_workflow_id(created["id"]))
    await save_history(handle, HISTORIES / f"sponsorship_{name}.json")


async def _record_ended(stack: RecordingStack, name: str, end: StandInEnd) -> None:
    world = await make_world(stack.sessions, stack.settings)
    async with stack.api() as api:
        created = await paid(api, world, stack.sessions)
    appointment = stack.client.get_workflow_handle(
        f"appointment-{created['appointment']['id']}")
    await appointment.signal("end", end)
    await skip_time_again(stack.env)
    handle = stack.client.get_workflow_handle(sponsorship_workflow_id(created["id"]))
    await save_history(handle, HISTORIES / f"sponsorship_{name}.json")


async def main() -> None:
    # A stack each: the update-with-start's lock on time skipping stays with its server.
    async with recording_stack(stand_ins=STAND_INS) as stack:
        await _record(stack, "expired", None)
    async with recording_stack(stand_ins=STAND_INS) as stack:
        await _record(stack, "payment_failed", "fail")
    async with recording_stack(stand_ins=STAND_INS) as stack:
        await _record_ended(stack, "completed", StandInEnd(status=AppointmentStatus.completed))
    async with recording_stack(stand_ins=STAND_INS) as stack:
        await _record_ended(stack, "canceled_refunded",
                            StandInEnd(status=AppointmentStatus.canceled, refunded=True))


if __name__ == "__main__":
    asyncio.run(main())
