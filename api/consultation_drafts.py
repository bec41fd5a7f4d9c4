"""Writing the doctor's consultation draft from a route (completing an appointment,
answering an opinion request), with the answers of bad input the routes share: a drug not
in the catalogue is a 422 naming the item, a published consultation a 409.

The route then commits and tells the process the draft's id; the process publishes it
(`workflows.care.publish_consultation`). Nothing but the id crosses Temporal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from db.queries.consultations import write_draft
from domain.consultations import (
    ConsultationAlreadyPublished,
    ConsultationIn,
    ConsultationKind,
    ConsultationSource,
    UnknownDrugs,
)


async def write_consultation_draft(
    session: AsyncSession, *, source: ConsultationSource, source_id: str,
    kind: ConsultationKind, patient_id: str, doctor_id: str, occurred_at: datetime,
    body: ConsultationIn, field: str = "prescriptions",
) -> str:
    """The draft's id (not committed: the caller commits). `field` is where the request
    body holds the items, for the 422's field errors."""
    try:
        return await write_draft(session, source=source, source_id=source_id, kind=kind,
                                 patient_id=patient_id, doctor_id=doctor_id,
                                 occurred_at=occurred_at, body=body)
    except UnknownDrugs as err:
        await session.rollback()
        raise Problem(422, "A prescribed drug is not in the catalogue.", errors=[
            {"field": f"{field}.{position}.drug_id", "message": "unknown drug",
             "type": "not_found"} for position in err.positions]) from err
    except ConsultationAlreadyPublished as err:
        await session.rollback()
        raise Problem(409, "This consultation is written already and cannot change.") from err
