"""A schemathesis run over the whole published schema, against the API on a port with the
real worker and the Temporal dev server, as each role: it finds no server error, no status
code the schema does not declare, no response that breaks its schema.

The run reads the operations from `/openapi.json`: an endpoint added to any router is in it
with no change here. Each role runs schemathesis's example and fuzzing phases (a bounded
number of examples per operation); the patient, who reaches the most operations past the
role checks, also runs its coverage phase (boundary and invalid values, wrong media types,
missing parameters). About three minutes in all on the 2-core machine, most of it the
patient's coverage phase and starting the stack. The seed is fixed, so a failure replays:
set ESAME_FUZZ_SEED to explore with another, ESAME_FUZZ_EXAMPLES for more examples.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from core.settings import Settings, TemporalSettings
from db.base import Base
from db.engine import SessionMaker
from db.models import CareLink
from domain.accounts import Role
from tests.conftest import temporal_address
from tests.support.live_stack import live_stack
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

ST = Path(sys.executable).parent / "st"
CHECKS = ",".join(["not_a_server_error", "status_code_conformance",
                   "content_type_conformance", "response_schema_conformance"])
SEED = os.environ.get("ESAME_FUZZ_SEED", "20261201")
EXAMPLES = os.environ.get("ESAME_FUZZ_EXAMPLES", "5")
ROLES = ["anonymous", "patient", "doctor", "pharmacist", "admin"]
WITH_COVERAGE = {"patient"}


@pytest.fixture(scope="module")
async def stack(
    _session_maker: SessionMaker, database_url: str, temporal_env: WorkflowEnvironment,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, dict[str, TestUser]]]:
    """The API and the worker on a fresh database, one user per role, and a little data
    (a record, a measure, a billing address, a purchase, a doctor link) for the lists."""
    settings = Settings(
        env="dev", database_url=database_url, secret_key="test-secret-" + "x" * 40,
        public_base_url="http://testserver", data_dir=tmp_path_factory.mktemp("fuzz"),
        temporal=TemporalSettings(address=temporal_address(temporal_env),
                                  task_queue=f"fuzz-{uuid.uuid4().hex[:8]}"))
    async with _session_maker() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            if not table.info.get("reference_data"):
                await session.execute(table.delete())
    users = {role.value: await make_user(_session_maker, settings, role,
                                         address_line="12 rue de la Joie",
                                         phone="+237670000123")
             for role in (Role.patient, Role.doctor, Role.pharmacist, Role.admin)}
    patient, doctor = users["patient"], users["doctor"]
    async with _session_maker() as session, session.begin():
        session.add(CareLink(patient_id=patient.id, doctor_id=doctor.id, status="active"))
    with live_stack(settings) as url:
        async with httpx.AsyncClient(base_url=url, headers=patient.headers,
                                     timeout=60) as api:
            at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
            for path, body in [
                ("/api/v1/me/record/antecedents", {"category": "medical",
                                                   "description": "Asthme"}),
                ("/api/v1/me/record/allergies", {"substance": "Pénicilline"}),
                ("/api/v1/me/record/treatments", {"name": "Ventoline", "dosage": "2 bouffées"}),
                ("/api/v1/me/vitals", {"type": "weight", "value": 70, "measured_at": at}),
            ]:
                assert (await api.post(path, json=body)).status_code == 201
            address = await api.post("/api/v1/me/billing-addresses", json={"use_profile": True})
            assert address.status_code == 201, address.text
            purchase = await api.post("/api/v1/me/purchases", json={
                "sms_packs": 1, "billing_address_id": address.json()["id"],
                "payment_method": "card"})
            assert purchase.status_code == 201, purchase.text
        yield url, users


@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_to_its_schema(
    stack: tuple[str, dict[str, TestUser]], role: str, tmp_path: Path
) -> None:
    url, users = stack
    phases = "examples,coverage,fuzzing" if role in WITH_COVERAGE else "examples,fuzzing"
    command = [str(ST), "--no-color", "run", f"{url}/openapi.json", "--checks", CHECKS,
               "--phases", phases, "--max-examples", EXAMPLES, "--seed", SEED,
               "--request-timeout", "60", "--warnings", "off"]
    if role != "anonymous":
        command += ["--header", f"Authorization: Bearer {users[role].token}"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=540, cwd=tmp_path,
                         env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    report = run.stdout[-20000:] + run.stderr[-5000:]
    assert run.returncode == 0, report
    assert " passed" in report and "failed" not in report.split("SUMMARY")[-1], report
