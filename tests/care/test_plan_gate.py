"""Plan gating: one rule (domain), one API helper, and the same rule and problem from a
process (the CHECK_PLAN activity and its refusal)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from api.deps import ActivePatient, SessionDep, SettingsDep
from api.plan_gate import PLAN_REQUIRED_TYPE, require_plan
from api.problems import problem_response
from api.workflow_errors import problem_from_temporal
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import Subscription
from domain.accounts import Role
from domain.billing import PlanEntitlements, SubscriptionStatus
from domain.care import CareService
from domain.entitlements import (
    FREE_TIER,
    Balances,
    PlanFeature,
    SubscriptionFacts,
    decide_entitlements,
    missing_feature,
    required_feature,
)
from tests.care.probe import CareStepsProbeWorkflow, ProbeInput
from tests.support.users import TestUser, make_user
from workers.main import WORKFLOW_RUNNER, WorkerDeps, activities

NOW = utcnow()


def _entitlements(plan: PlanEntitlements | None, status: SubscriptionStatus =
                  SubscriptionStatus.active, ends_in: timedelta = timedelta(days=10)):  # type: ignore[no-untyped-def]
    facts = None if plan is None else SubscriptionFacts(
        plan_code="p", status=status, current_period_end=NOW + ends_in, entitlements=plan)
    return decide_entitlements(facts, Balances(), NOW)


ESSENTIEL = PlanEntitlements(teleconsultation=False, office_appointment=True,
                             opinion_request=True, sms_per_period=10, storage_gb=5)
CONFORT = PlanEntitlements(teleconsultation=True, office_appointment=True,
                           opinion_request=True, sms_per_period=30, storage_gb=20)


def test_each_service_needs_its_feature_and_emergency_is_gated_like_office() -> None:
    assert required_feature(CareService.teleconsultation) is PlanFeature.teleconsultation
    assert required_feature(CareService.office) is PlanFeature.office_appointment
    assert required_feature(CareService.emergency) is PlanFeature.office_appointment
    assert required_feature(CareService.opinion) is PlanFeature.opinion_request
    no_office = PlanEntitlements(teleconsultation=True, office_appointment=False,
                                 opinion_request=False, sms_per_period=0, storage_gb=1)
    entitlements = _entitlements(no_office)
    assert missing_feature(entitlements, CareService.emergency) is PlanFeature.office_appointment
    assert missing_feature(entitlements, CareService.office) is PlanFeature.office_appointment
    assert missing_feature(entitlements, CareService.teleconsultation) is None


@pytest.mark.parametrize(("plan", "status", "ends_in", "refused"), [
    (None, SubscriptionStatus.active, timedelta(days=1),
     {CareService.teleconsultation, CareService.opinion}),  # the free tier
    (ESSENTIEL, SubscriptionStatus.active, timedelta(days=1), {CareService.teleconsultation}),
    (CONFORT, SubscriptionStatus.active, timedelta(days=1), set()),
    (CONFORT, SubscriptionStatus.canceled, timedelta(days=1), set()),  # paid until the end
    (CONFORT, SubscriptionStatus.past_due, timedelta(days=-1), set()),  # in the grace
    (CONFORT, SubscriptionStatus.active, timedelta(days=-1),
     {CareService.teleconsultation, CareService.opinion}),  # the period is over
    (CONFORT, SubscriptionStatus.expired, timedelta(days=1),
     {CareService.teleconsultation, CareService.opinion}),
])
def test_what_each_plan_allows(plan, status, ends_in, refused) -> None:  # type: ignore[no-untyped-def]
    entitlements = _entitlements(plan, status, ends_in)
    assert {s for s in CareService if missing_feature(entitlements, s)} == refused
    assert FREE_TIER.office_appointment  # office visits need no plan


# --- the API's helper, as every care route uses it ---------------------------------------

@pytest.fixture
def gated_app(settings: Settings, sessions: SessionMaker) -> FastAPI:
    app = create_app(settings, sessions=sessions)

    @app.post("/test/care/{service}")
    async def ask_for(service: CareService, user: ActivePatient, session: SessionDep,
                      settings: SettingsDep) -> dict[str, str]:
        entitlements = await require_plan(session, settings, user, service)
        return {"plan": entitlements.plan}

    return app


@pytest.fixture
async def gated(gated_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=gated_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def _subscribe(sessions: SessionMaker, user: TestUser, plan_id: str,
                     status: str = "active") -> None:
    async with sessions() as session, session.begin():
        session.add(Subscription(user_id=user.id, plan_id=plan_id, status=status,
                                 current_period_start=utcnow() - timedelta(days=1),
                                 current_period_end=utcnow() + timedelta(days=29)))


@pytest.mark.db
async def test_a_service_outside_the_plan_is_a_403_plan_required(
    gated: httpx.AsyncClient, sessions: SessionMaker, settings: Settings
) -> None:
    patient = await make_user(sessions, settings)
    for service, feature in [("teleconsultation", "teleconsultation"),
                             ("opinion", "opinion_request")]:
        response = await gated.post(f"/test/care/{service}", headers=patient.headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"].endswith("/plan-required") and body["type"] == PLAN_REQUIRED_TYPE
        assert feature in body["detail"] and body["feature"] == feature
    for service in ("office", "emergency"):
        response = await gated.post(f"/test/care/{service}", headers=patient.headers)
        assert response.status_code == 200 and response.json() == {"plan": "free"}

    await _subscribe(sessions, patient, "plan-essentiel")
    assert (await gated.post("/test/care/opinion", headers=patient.headers)).json() == {
        "plan": "essentiel"}
    refused = await gated.post("/test/care/teleconsultation", headers=patient.headers)
    assert refused.status_code == 403 and refused.json()["feature"] == "teleconsultation"


# --- the same rule from a process -------------------------------------------------------------

@pytest.fixture
async def probe_worker(temporal_env: WorkflowEnvironment, worker_deps: WorkerDeps,
                       e2e_settings: Settings) -> AsyncIterator[str]:
    async with Worker(temporal_env.client, task_queue=e2e_settings.temporal.task_queue,
                      workflows=[CareStepsProbeWorkflow], activities=activities(worker_deps),
                      workflow_runner=WORKFLOW_RUNNER):
        yield e2e_settings.temporal.task_queue


@pytest.mark.db
async def test_a_process_checks_the_plan_again_and_refuses_like_the_api(
    temporal_env: WorkflowEnvironment, probe_worker: str, sessions: SessionMaker,
    e2e_settings: Settings
) -> None:
    patient = await make_user(sessions, e2e_settings)
    client = temporal_env.client
    handle = await client.start_workflow(
        CareStepsProbeWorkflow.run,
        ProbeInput(user_id=patient.id, service=CareService.teleconsultation),
        id=f"probe-{uuid.uuid4().hex}", task_queue=probe_worker)
    result = await handle.result()
    assert not result.checked.allowed and result.checked.plan == "free"
    assert result.checked.feature is PlanFeature.teleconsultation

    # Refused at confirmation: the API answers the process's refusal as its own.
    blocked = await client.start_workflow(
        CareStepsProbeWorkflow.run,
        ProbeInput(user_id=patient.id, service=CareService.teleconsultation, hold=True),
        id=f"probe-{uuid.uuid4().hex}", task_queue=probe_worker)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await blocked.execute_update(CareStepsProbeWorkflow.confirm)
    problem = problem_from_temporal(refused.value)
    assert problem.status == 403 and problem.type == PLAN_REQUIRED_TYPE
    assert problem_response(problem).body and problem.extensions == {
        "feature": "teleconsultation"}
    assert "teleconsultation" in problem.detail
    assert not (await blocked.result()).checked.allowed

    await _subscribe(sessions, patient, "plan-confort")
    allowed = await client.execute_workflow(
        CareStepsProbeWorkflow.run,
        ProbeInput(user_id=patient.id, service=CareService.teleconsultation),
        id=f"probe-{uuid.uuid4().hex}", task_queue=probe_worker)
    assert allowed.checked.allowed and allowed.checked.plan == "confort"


@pytest.mark.db
async def test_a_process_publishes_its_consultation_once(
    temporal_env: WorkflowEnvironment, probe_worker: str, sessions: SessionMaker,
    e2e_settings: Settings
) -> None:
    from db.models import Consultation
    from tests.care.conftest import draft, item

    patient = await make_user(sessions, e2e_settings)
    doctor = await make_user(sessions, e2e_settings, Role.doctor)
    consultation_id, source_id = await draft(sessions, patient, doctor,
                                             items=[item(name="A"), item(name="B")])
    result = await temporal_env.client.execute_workflow(
        CareStepsProbeWorkflow.run,
        ProbeInput(user_id=patient.id, service=CareService.office,
                   consultation_id=consultation_id, source_id=source_id),
        id=f"probe-{uuid.uuid4().hex}", task_queue=probe_worker)
    assert result.published is not None and result.published_again is not None
    assert not result.published.already_published and result.published_again.already_published
    assert len(result.published.prescription_item_ids) == 2
    async with sessions() as session:
        row = await session.get(Consultation, consultation_id)
        assert row is not None and row.published_at == result.published.published_at
