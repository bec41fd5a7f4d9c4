"""Side effects of a patient's doctor link: emails to both, the link's status, and the end
of what the patient shared with the doctor when the link ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select, update
from temporalio.exceptions import ApplicationError

from activities.account_messages import email_user, full_name, local_time
from activities.defn import implements
from activities.messaging import MessagingActivities
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import (
    CareLink,
    Document,
    DocumentShare,
    User,
    VitalShare,
    VitalShareType,
)
from domain.accounts import (
    END_CARE_LINK,
    NOTIFY_DOCTOR_OF_INVITATION,
    NOTIFY_PATIENT_OF_DECISION,
    SET_CARE_LINK_STATUS,
    CareLinkStatus,
    Done,
    EndCareLink,
    NotifyDoctorOfInvitation,
    NotifyPatientOfDecision,
    SetCareLinkStatus,
)


class CareLinkActivities:
    def __init__(
        self, settings: Settings, sessions: SessionMaker, messaging: MessagingActivities
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._messaging = messaging

    async def _people(self, link_id: str) -> tuple[CareLink, User, User]:
        async with self._sessions() as session:
            link = await session.get(CareLink, link_id)
            patient = doctor = None
            if link is not None:
                patient = await session.get(User, link.patient_id)
                doctor = await session.get(User, link.doctor_id)
        if link is None or patient is None or doctor is None:
            # The row is committed before the process starts: retry briefly if not visible.
            raise ApplicationError("the care link is not committed yet",
                                   type="CareLinkNotCommitted")
        return link, patient, doctor

    @implements(NOTIFY_DOCTOR_OF_INVITATION)
    async def notify_doctor_of_invitation(self, command: NotifyDoctorOfInvitation) -> Done:
        link, patient, doctor = await self._people(command.link_id)
        suffix = "_reminder" if command.reminder else ""
        await email_user(
            self._messaging, doctor,
            key=f"doctor-invitation{suffix}:{link.id}",
            template=f"doctor_invitation{suffix}",
            data={
                "doctor_name": full_name(doctor),
                "patient_name": full_name(patient),
                "patient_esame_id": patient.esame_id,
                "invitations_url": self._settings.web_links.doctor_invitations(),
                "expires_at": local_time(command.expires_at, doctor.timezone),
            },
        )
        return Done()

    @implements(SET_CARE_LINK_STATUS)
    async def set_care_link_status(self, command: SetCareLinkStatus) -> Done:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(CareLink)
                .where(CareLink.id == command.link_id,
                       CareLink.status == CareLinkStatus.pending.value)
                .values(status=command.status.value, decided_at=utcnow())
            )
        return Done(changed=bool(getattr(result, "rowcount", 0)))

    @implements(END_CARE_LINK)
    async def end_care_link(self, command: EndCareLink) -> Done:
        """The doctor leaves the patient's list: the link is `removed` and every share of the
        patient with this doctor is deleted (documents, vitals), in one transaction. Rows of
        other processes (a paid consultation under way, its attachments) are not touched.
        Replayed, it finds the link closed and the shares gone, and changes nothing."""
        async with self._sessions() as session, session.begin():
            link = await session.get(CareLink, command.link_id)
            if link is None:
                raise ApplicationError("the care link is not committed yet",
                                       type="CareLinkNotCommitted")
            ended = await session.execute(
                update(CareLink)
                .where(CareLink.id == link.id, CareLink.status.in_(
                    (CareLinkStatus.pending.value, CareLinkStatus.active.value)))
                .values(status=CareLinkStatus.removed.value,
                        decided_at=func.coalesce(CareLink.decided_at, utcnow()))
            )
            await session.execute(delete(DocumentShare).where(
                DocumentShare.doctor_id == link.doctor_id,
                DocumentShare.document_id.in_(
                    select(Document.id).where(Document.owner_id == link.patient_id))))
            # Its types first: the same on every database, whatever its foreign keys do.
            await session.execute(delete(VitalShareType).where(VitalShareType.share_id.in_(
                select(VitalShare.id).where(VitalShare.patient_id == link.patient_id,
                                            VitalShare.doctor_id == link.doctor_id))))
            await session.execute(delete(VitalShare).where(
                VitalShare.patient_id == link.patient_id, VitalShare.doctor_id == link.doctor_id))
        return Done(changed=bool(getattr(ended, "rowcount", 0)))

    @implements(NOTIFY_PATIENT_OF_DECISION)
    async def notify_patient_of_decision(self, command: NotifyPatientOfDecision) -> Done:
        link, patient, doctor = await self._people(command.link_id)
        await email_user(
            self._messaging, patient,
            key=f"doctor-invitation-{command.status.value}:{link.id}",
            template=f"doctor_invitation_{command.status.value}",
            data={"doctor_name": full_name(doctor), "patient_name": full_name(patient)},
        )
        return Done()

    def all(self) -> list[Callable[..., Any]]:
        return [self.notify_doctor_of_invitation, self.set_care_link_status,
                self.end_care_link, self.notify_patient_of_decision]
