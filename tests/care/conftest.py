"""The care foundation's tests: the API in process (these routes read the database only),
users made in the database, and consultations written and published as a process would."""

from __future__ import annotations

from datetime import datetime, timedelta

from db.base import utcnow
from db.engine import SessionMaker
from db.queries.consultations import publish, write_draft
from domain.consultations import (
    ConsultationIn,
    ConsultationKind,
    ConsultationSource,
    PrescriptionItemIn,
)
from domain.ids import new_id
from tests.support.users import TestUser

# Drugs of the shipped catalogue (CIS codes).
AMLOR_5 = "63458349"
DOLIPRANE_1000 = "60234100"


def item(drug_id: str | None = None, name: str | None = None, **fields: object
         ) -> PrescriptionItemIn:
    values: dict[str, object] = {"dosage": "1 comprimé", "quantity": 1, **fields}
    return PrescriptionItemIn(drug_id=drug_id, name=name, **values)  # type: ignore[arg-type]


async def draft(
    sessions: SessionMaker, patient: TestUser, doctor: TestUser, *,
    items: list[PrescriptionItemIn] | None = None, summary: str = "Bilan tensionnel.",
    kind: ConsultationKind = ConsultationKind.office, occurred_at: datetime | None = None,
    source_id: str | None = None,
) -> tuple[str, str]:
    """A doctor's draft as the completion route writes it: (consultation id, source id)."""
    source_id = source_id or new_id()
    source = (ConsultationSource.opinion_request if kind is ConsultationKind.opinion
              else ConsultationSource.appointment)
    async with sessions() as session, session.begin():
        consultation_id = await write_draft(
            session, source=source, source_id=source_id, kind=kind, patient_id=patient.id,
            doctor_id=doctor.id, occurred_at=occurred_at or utcnow() - timedelta(hours=1),
            body=ConsultationIn(summary=summary, prescriptions=items or []))
    return consultation_id, source_id


async def consultation(
    sessions: SessionMaker, patient: TestUser, doctor: TestUser, **kwargs: object
) -> str:
    """A published consultation (written, then published as its process would)."""
    consultation_id, source_id = await draft(sessions, patient, doctor, **kwargs)  # type: ignore[arg-type]
    async with sessions() as session, session.begin():
        await publish(session, consultation_id, source_id)
    return consultation_id
