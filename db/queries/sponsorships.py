"""Reads of sponsorships for the other processes' views: who sponsored an appointment, as
its patient sees it (a display name, never the sponsor's price or payment), and which
sponsored appointments she sees at all (only once paid)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Appointment, User
from db.models.sponsorships import Sponsorship
from domain.requests import SponsoredBy
from domain.sponsorships import SponsorshipStatus, display_name

# A sponsorship shows on its appointment once paid (before, the beneficiary is not told).
_SHOWN = [SponsorshipStatus.confirmed.value, SponsorshipStatus.completed.value,
          SponsorshipStatus.canceled.value]


async def sponsored_by(session: AsyncSession,
                       appointment_ids: Collection[str]) -> dict[str, SponsoredBy]:
    """`sponsored_by` of each of these appointments that a sponsor paid for, in one query
    (for the appointment's own views: `GET /appointments/{id}`, the patient's calendar)."""
    if not appointment_ids:
        return {}
    rows = await session.execute(
        select(Sponsorship.appointment_id, User.first_name, User.last_name)
        .join(User, User.id == Sponsorship.sponsor_id)
        .where(Sponsorship.appointment_id.in_(list(appointment_ids)),
               Sponsorship.status.in_(_SHOWN)))
    return {appointment_id: SponsoredBy(display_name=display_name(first, last))
            for appointment_id, first, last in rows.tuples()}


def seen_by_its_patient() -> ColumnElement[bool]:
    """Whether the patient sees an appointment (a `where` clause on `Appointment`): any of
    her own, and one a sponsor holds for her only once the sponsor has paid. A hold whose
    sponsor has not paid (or never did: expired, refused) stays the sponsor's secret."""
    return or_(Appointment.sponsor_id.is_(None),
               exists().where(Sponsorship.appointment_id == Appointment.id,
                              Sponsorship.status.in_(_SHOWN)))
