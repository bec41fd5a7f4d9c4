"""Admins check the licences of doctors and pharmacists: the list, approve, refuse.

The decision belongs to the professional's `professional-verification-<user id>` process:
these routes tell it (Updates) and answer once the database shows the decision.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.cursors import keyset, page
from api.deps import ActiveAdmin, SessionDep, SettingsDep, TemporalClient
from api.problems import Problem
from api.professional_processes import decide_verification
from api.workflow_errors import problem_from_temporal
from db.models import DoctorProfile, Pharmacy, ProfessionalVerification, User
from domain.accounts import AccountStatus, Role
from domain.pagination import Page
from domain.professionals import (
    ProfessionalView,
    RefusalIn,
    VerificationDecision,
    VerificationStatus,
)

router = APIRouter(prefix="/api/v1/admin/professionals", tags=["admin"])

_DECIDED: dict[int | str, dict[str, Any]] = {404: {"description": "no such professional"},
            409: {"description": "already verified or refused"}}


def _professionals() -> Select[ProfessionalVerification, User, DoctorProfile | None,
                              Pharmacy | None]:
    return (
        select(ProfessionalVerification, User, DoctorProfile, Pharmacy)
        .join(User, User.id == ProfessionalVerification.user_id)
        .outerjoin(DoctorProfile, DoctorProfile.user_id == User.id)
        .outerjoin(Pharmacy, Pharmacy.id == User.pharmacy_id)
        .where(User.status != AccountStatus.expired.value)
    )


def _view(verification: ProfessionalVerification, user: User, doctor: DoctorProfile | None,
          pharmacy: Pharmacy | None) -> ProfessionalView:
    return ProfessionalView(
        user_id=user.id, role=Role(user.role), first_name=user.first_name,
        last_name=user.last_name, email=user.email or "",
        specialty=doctor.specialty if doctor else None,
        license_number=doctor.license_number if doctor else None,
        pharmacy_id=user.pharmacy_id, pharmacy_name=pharmacy.name if pharmacy else None,
        verification=VerificationStatus(verification.status),
        submitted_at=verification.submitted_at, decided_at=verification.decided_at,
        reason=verification.reason, account_status=user.status)


@router.get("", response_model=Page[ProfessionalView])
async def list_professionals(
    _: ActiveAdmin, session: SessionDep,
    verification: VerificationStatus | None = None,
    role: Annotated[Role | None, Query(description="doctor or pharmacist")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: str | None = None,
) -> Page[ProfessionalView]:
    """Doctors and pharmacists whose licence an admin checks (admins).

    Oldest submission first (a queue): `?verification=pending` is what is left to check.
    Accounts that expired before validating their email are left out."""
    query = _professionals()
    if verification is not None:
        query = query.where(ProfessionalVerification.status == verification.value)
    if role is not None:
        query = query.where(User.role == role.value)
    rows, next_cursor = page(
        list((await session.execute(keyset(
            query, ProfessionalVerification.submitted_at, ProfessionalVerification.user_id,
            cursor, limit, newest_first=False))).tuples()),
        limit, lambda row: (row[0].submitted_at, row[0].user_id))
    return Page(items=[_view(*row) for row in rows], next_cursor=next_cursor)


@router.post("/{user_id}/approve", response_model=ProfessionalView, responses=_DECIDED)
async def approve(
    user_id: str, admin: ActiveAdmin, session: SessionDep, settings: SettingsDep,
    temporal: TemporalClient,
) -> ProfessionalView:
    """The licence is checked: the professional is listed and may act; told by email."""
    return await _decide(session, settings, temporal, user_id, "approve",
                         VerificationDecision(admin_id=admin.id))


@router.post("/{user_id}/refuse", response_model=ProfessionalView, responses=_DECIDED)
async def refuse(
    user_id: str, body: RefusalIn, admin: ActiveAdmin, session: SessionDep,
    settings: SettingsDep, temporal: TemporalClient,
) -> ProfessionalView:
    """The licence could not be checked: never listed; told by email, with the reason."""
    return await _decide(session, settings, temporal, user_id, "refuse",
                         VerificationDecision(admin_id=admin.id, reason=body.reason.strip()))


async def _found(session: AsyncSession, user_id: str) -> ProfessionalView:
    row = (await session.execute(
        _professionals().where(User.id == user_id)
        .execution_options(populate_existing=True))).tuples().first()
    if row is None:
        raise Problem(404, "No such professional.")
    return _view(*row)


async def _decide(session: AsyncSession, settings: SettingsDep, temporal: TemporalClient,
                  user_id: str, update: str,
                  decision: VerificationDecision) -> ProfessionalView:
    found = await _found(session, user_id)
    if found.verification is not VerificationStatus.pending:
        raise Problem(409, f"This professional is already {found.verification.value}.")
    professional = await session.get(User, user_id)
    assert professional is not None
    try:
        await decide_verification(temporal, settings, professional, update, decision)
    except WorkflowAlreadyStartedError as err:  # decided by another admin a moment ago
        raise Problem(409, "Another administrator has just decided.") from err
    except Exception as err:
        raise problem_from_temporal(err, closed_detail="Another administrator has just "
                                    "decided.") from err
    return await _found(session, user_id)
