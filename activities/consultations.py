"""Publishing a consultation: the step by which a completed appointment or an answered
opinion request makes the doctor's draft the patient's (and immutable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.exceptions import ApplicationError

from activities.defn import implements
from db.engine import SessionMaker, transaction
from db.queries.consultations import NotThisProcess, publish
from domain.consultations import (
    PUBLISH_CONSULTATION,
    ConsultationPublished,
    PublishConsultation,
)
from domain.errors import BusinessError


class ConsultationActivities:
    def __init__(self, sessions: SessionMaker) -> None:
        self._sessions = sessions

    @implements(PUBLISH_CONSULTATION)
    async def publish_consultation(self, command: PublishConsultation) -> ConsultationPublished:
        """Idempotent: published once; a replay answers the first publication."""
        try:
            async with transaction(self._sessions) as session:
                published_at, already, item_ids = await publish(
                    session, command.consultation_id, command.source_id)
        except NotThisProcess:
            # The API commits the draft before it tells the process, so this is a draft of
            # another process (or none): a bug of the caller, not worth retrying.
            raise ApplicationError(
                f"no consultation draft {command.consultation_id} for {command.source_id}",
                type=BusinessError.not_found.value, non_retryable=True) from None
        return ConsultationPublished(consultation_id=command.consultation_id,
                                     published_at=published_at, already_published=already,
                                     prescription_item_ids=item_ids)

    def all(self) -> list[Callable[..., Any]]:
        return [self.publish_consultation]
