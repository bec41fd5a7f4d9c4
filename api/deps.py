"""Annotated dependencies: settings, DB session, Temporal client, the current user."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.problems import Problem
from core.security import decode_access_token
from core.settings import Settings
from core.temporal_client import connect_temporal
from db.engine import SessionMaker
from db.models import User
from db.queries.professionals import verification_of
from domain.accounts import AccountStatus, Role
from domain.professionals import VerificationStatus

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> SessionMaker:
    sessions: SessionMaker = request.app.state.sessions
    return sessions


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


async def get_temporal(request: Request) -> Client:
    """The shared client; connected on first use, so the API starts before Temporal does."""
    state = request.app.state
    if state.temporal is None:
        async with state.temporal_lock:
            if state.temporal is None:
                try:
                    state.temporal = await asyncio.wait_for(
                        connect_temporal(state.settings), timeout=10
                    )
                except Exception as err:
                    raise Problem(503, "The workflow engine is not reachable.") from err
    client: Client = state.temporal
    return client


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
SessionMakerDep = Annotated[SessionMaker, Depends(get_sessionmaker)]
TemporalClient = Annotated[Client, Depends(get_temporal)]

_UNAUTHENTICATED = {"WWW-Authenticate": "Bearer"}


async def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise Problem(401, "Sign in first.", headers=_UNAUTHENTICATED)
    claims = decode_access_token(settings.secret_key, token)
    if claims is None:
        raise Problem(401, "The access token is invalid or has expired.",
                      headers=_UNAUTHENTICATED)
    user = await session.get(User, claims["sub"])
    if user is None or user.status == AccountStatus.expired:
        raise Problem(401, "The account no longer exists.", headers=_UNAUTHENTICATED)
    if claims.get("sv", 0) != user.session_version:
        raise Problem(401, "This session has ended (the password was changed): sign in again.",
                      headers=_UNAUTHENTICATED)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_active_user(user: CurrentUser) -> User:
    if user.status != AccountStatus.active:
        raise Problem(
            403,
            "Finish activating your account first (email, profile, code and consent).",
            type_="https://esame.cm/problems/account-not-active",
        )
    return user


ActiveUser = Annotated[User, Depends(get_active_user)]


def require_role(*roles: Role):  # type: ignore[no-untyped-def]
    """An active user with one of these roles, e.g. `Depends(require_role(Role.doctor))`."""

    async def _dependency(user: ActiveUser) -> User:
        if user.role not in roles:
            raise Problem(403, f"Only for {', '.join(r.value for r in roles)} accounts.")
        return user

    return _dependency


ActivePatient = Annotated[User, Depends(require_role(Role.patient))]
ActiveDoctor = Annotated[User, Depends(require_role(Role.doctor))]
ActivePharmacist = Annotated[User, Depends(require_role(Role.pharmacist))]
ActiveAdmin = Annotated[User, Depends(require_role(Role.admin))]

NOT_VERIFIED = "https://esame.cm/problems/professional-not-verified"


def require_verified(role: Role):  # type: ignore[no-untyped-def]
    """An active doctor or pharmacist whose licence an admin has verified: what every
    professional action needs (answering a patient, reading what is shared, fees...)."""

    # A default, not an annotation: annotations are strings here, and `role` is local.
    async def _dependency(session: SessionDep, user: User = Depends(require_role(role))) -> User:
        verification = await verification_of(session, user.id)
        if verification is None or verification.status == VerificationStatus.pending:
            raise Problem(403, "An administrator has not verified your licence yet; you "
                          "will be told by email.", type_=NOT_VERIFIED)
        if verification.status != VerificationStatus.verified:
            raise Problem(403, "Your licence could not be verified: "
                          f"{verification.reason or 'no reason given'}.", type_=NOT_VERIFIED)
        return user

    return _dependency


VerifiedDoctor = Annotated[User, Depends(require_verified(Role.doctor))]
VerifiedPharmacist = Annotated[User, Depends(require_verified(Role.pharmacist))]
