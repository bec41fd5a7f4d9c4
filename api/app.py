"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from temporalio.client import Client

from api.idempotency import IdempotencyMiddleware
from api.input_guard import refuse_unstorable_text
from api.openapi import install_openapi
from api.problems import install_problem_handlers
from api.routers import (
    account_settings,
    accounts,
    agendas,
    appointments,
    audit,
    auth,
    billing,
    consultations,
    dev,
    doctor_patients,
    doctor_profiles,
    doctors,
    documents,
    drugs,
    health,
    invitations,
    opinions,
    patient_records,
    pharmacy,
    professionals,
    record,
    record_fills,
    requests,
    sandbox,
    sponsorships,
    temporal_codec,
    vital_shares,
    vitals,
    web_pages,
    webhooks,
)
from core.settings import Settings, get_settings
from db.engine import SessionMaker, make_engine, make_sessionmaker
from db.queries.sandbox import DbSandboxLedger
from providers.payments import build_payment_providers


def create_app(
    settings: Settings | None = None,
    *,
    sessions: SessionMaker | None = None,
    temporal: Client | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    engine = None
    if sessions is None:
        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if engine is not None:
            await engine.dispose()

    app = FastAPI(
        title="E-same API",
        version="0.1.0",
        description="Telemedicine for patients in Cameroon and their families abroad.",
        lifespan=lifespan,
        dependencies=[Depends(refuse_unstorable_text)],
        docs_url=None,  # served by install_openapi, from a package instead of a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.temporal = temporal
    app.state.temporal_lock = asyncio.Lock()
    app.state.payment_providers = build_payment_providers(
        settings.payments, settings.public_base_url, DbSandboxLedger(sessions))

    install_problem_handlers(app)
    app.add_middleware(IdempotencyMiddleware, settings=settings, sessions=sessions)

    app.include_router(health.router)
    app.include_router(auth.router)
    for router in accounts.routers:
        app.include_router(router)
    for router in account_settings.routers:
        app.include_router(router)
    app.include_router(invitations.router)
    app.include_router(doctors.directory_router)
    app.include_router(doctors.my_doctors_router)
    app.include_router(doctors.doctor_side_router)
    app.include_router(doctors.doctor_fees_router)
    app.include_router(doctor_patients.router)
    app.include_router(doctor_profiles.public_router)
    app.include_router(doctor_profiles.profile_router)
    app.include_router(agendas.availability_router)
    app.include_router(agendas.slots_router)
    app.include_router(appointments.router)
    app.include_router(record.router)
    app.include_router(patient_records.router)
    app.include_router(record_fills.router)
    app.include_router(documents.router)
    app.include_router(drugs.router)
    app.include_router(vitals.router)
    app.include_router(vital_shares.router)
    app.include_router(audit.router)
    app.include_router(professionals.router)
    app.include_router(temporal_codec.router)
    app.include_router(billing.router)
    app.include_router(consultations.router)
    app.include_router(opinions.router)
    app.include_router(opinions.doctor_router)
    app.include_router(pharmacy.router)
    app.include_router(requests.router)
    app.include_router(sponsorships.router)
    app.include_router(webhooks.router)
    if settings.is_dev:
        app.include_router(dev.router)
        app.include_router(sandbox.router)
        app.include_router(web_pages.router)
    install_openapi(app)
    return app
