"""Inviting friends to E-same: each invitation is an `invitation-<id>` workflow."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, EmailStr
from sqlalchemy import and_, func, or_, select

from api.account_processes import commit_then_start, start_invitation
from api.cursors import decode_id_cursor, encode_id_cursor
from api.deps import ActiveUser, SessionDep, SettingsDep, TemporalClient
from api.one_at_a_time import insert_or_existing
from api.problems import Problem
from db.base import utcnow
from db.models import Invitation
from db.models.accounts import INVITATION_PER_ADDRESS
from domain.accounts import InvitationStatus, InvitationView
from domain.pagination import Page

router = APIRouter(prefix="/api/v1/invitations", tags=["invitations"])


class InvitationRequest(BaseModel):
    email: EmailStr


def _view(invitation: Invitation) -> InvitationView:
    return InvitationView(id=invitation.id, email=invitation.email,
                          status=InvitationStatus(invitation.status),
                          created_at=invitation.created_at, closed_at=invitation.closed_at)


@router.post("", status_code=202, response_model=InvitationView,
             responses={429: {"description": "too many invitations today"}})
async def invite(
    body: InvitationRequest, user: ActiveUser, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> InvitationView:
    """Invite a friend to E-same by email."""
    email = body.email.strip().lower()
    if email == user.email:
        raise Problem(422, "You cannot invite yourself.",
                      errors=[{"location": "body",
                               "field": "email", "message": "your own address"}])

    async def mine() -> Invitation | None:
        return await session.scalar(
            select(Invitation).where(Invitation.inviter_id == user.id,
                                     Invitation.email == email))

    existing = await mine()
    if existing is not None:  # one invitation per friend: no second email
        return _view(existing)
    sent_today = await session.scalar(
        select(func.count()).where(Invitation.inviter_id == user.id,
                                   Invitation.created_at >= utcnow() - timedelta(days=1)))
    if (sent_today or 0) >= settings.limits.invitations_per_day:
        raise Problem(429, "You have sent enough invitations for today.",
                      headers={"Retry-After": str(24 * 3600)})
    # Two requests of the same instant: the database keeps one, both answer with it.
    invitation, created = await insert_or_existing(
        session, Invitation(inviter_id=user.id, email=email,
                            status=InvitationStatus.pending.value, created_at=utcnow()),
        rule=INVITATION_PER_ADDRESS, existing=mine)
    if created:
        await commit_then_start(
            session, lambda: start_invitation(temporal, settings, invitation, user), invitation)
    return _view(invitation)


@router.get("", response_model=Page[InvitationView])
async def my_invitations(
    user: ActiveUser, session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: str | None = None,
) -> Page[InvitationView]:
    """The invitations the caller sent, newest first."""
    query = select(Invitation).where(Invitation.inviter_id == user.id)
    if cursor:
        last_id = decode_id_cursor(cursor)
        created = await session.scalar(select(Invitation.created_at).where(
            Invitation.id == last_id, Invitation.inviter_id == user.id))
        if created is None:
            raise Problem(422, "The cursor is not valid.")
        query = query.where(or_(Invitation.created_at < created,
                                and_(Invitation.created_at == created,
                                     Invitation.id < last_id)))
    rows = (await session.scalars(
        query.order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit + 1)
    )).all()
    items = [_view(i) for i in rows[:limit]]
    next_cursor = (encode_id_cursor(items[-1].id)
                   if len(rows) > limit else None)
    return Page(items=items, next_cursor=next_cursor)
