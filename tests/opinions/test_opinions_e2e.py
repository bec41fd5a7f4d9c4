"""Opinion requests end to end: the API, the real worker and the Temporal dev server, paid
with the sandbox. A draft with attachments, messages both ways, payment, the doctor's
review (accept, ask, answer with prescriptions), the patient reading the answer; a decline
refunded; who may do what (another patient, an unrelated doctor, a pharmacist); bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.settings import Settings
from db.engine import SessionMaker
from db.models import AuditEntry, DocumentShare
from domain.accounts import Role
from domain.ids import opinion_workflow_id
from tests.accounts.flows import delivered
from tests.care.conftest import AMLOR_5
from tests.opinions.flows import SUMMARY, draft_request, paid_request, status_of
from tests.opinions.support import people, row_of
from tests.payments.support import checkout, eventually
from tests.record.conftest import PDF, upload
from tests.support.users import TestUser, make_user

pytestmark = pytest.mark.db

async def test_draft_thread_payment_review_and_answer(
        api: httpx.AsyncClient, worker: object, sessions: SessionMaker,
        e2e_settings: Settings) -> None:
    draft = await draft_request(api, sessions, e2e_settings)
    who, p, d = draft.who, draft.who.patient.headers, draft.who.doctor.headers
    url = f"/api/v1/opinion-requests/{draft.id}"
    assert draft.body["status"] == "draft" and draft.body["reference"].startswith("AVIS-")
    listed = (await api.get("/api/v1/me/requests", headers=p)).json()["items"]
    assert [(i["reference"], i["kind"], i["status"]) for i in listed] == [
        (draft.body["reference"], "opinion", "draft")]

    # A draft's message reaches the doctor with the reason only.
    sent = await api.post(f"{url}/messages", headers=p, json={"text": "Est-ce urgent ?"})
    assert sent.status_code == 201, sent.text
    (mail,) = await delivered(api, who.doctor.email, "opinion_message")
    assert mail["data"]["reason"] == "Douleurs thoraciques"
    assert mail["data"]["text"] == "Est-ce urgent ?"
    seen_by_doctor = (await api.get(f"/api/v1/doctor/opinion-requests/{draft.id}",
                                    headers=d)).json()
    assert seen_by_doctor["reason"] == "Douleurs thoraciques"
    assert seen_by_doctor["symptoms"] is None and seen_by_doctor["attachments"] == []
    reply = await api.post(f"{url}/messages", headers=d, json={"text": "Envoyez le détail."})
    assert reply.status_code == 201
    await delivered(api, who.patient.email, "opinion_message")

    # Incomplete: refused at submission, nothing paid.
    incomplete = await api.post(f"{url}/submit", headers=p, json={
        "billing_address_id": draft.address_id, "payment_method": "card"})
    assert incomplete.status_code == 422, incomplete.text
    assert "symptoms" in incomplete.json()["detail"]

    # Complete it, attach, pay.
    assert (await api.patch(url, headers=p, json=SUMMARY)).status_code == 200
    for kind, item in (("allergy", draft.allergy_id), ("document", draft.document_id)):
        assert (await api.post(f"{url}/attachments", headers=p,
                               json={"kind": kind, "item_id": item})).status_code == 201
    submitted = await api.post(f"{url}/submit", headers=p, json={
        "billing_address_id": draft.address_id, "payment_method": "card"})
    assert submitted.status_code == 201, submitted.text
    again = await api.post(f"{url}/submit", headers=p, json={
        "billing_address_id": draft.address_id, "payment_method": "card"})
    assert again.status_code == 409
    assert (await api.patch(url, headers=p, json={"reason": "x"})).status_code == 409
    await checkout(api, submitted.json()["payment"], "succeed")
    paid = await status_of(api, draft, "transmitted")
    assert paid["due_at"] and paid["paid_at"]
    await delivered(api, who.doctor.email, "opinion_transmitted")
    await delivered(api, "+237670001122", "opinion_transmitted_sms")

    # Frozen: the record changes, what the doctor reads does not.
    assert (await api.delete(f"/api/v1/me/record/allergies/{draft.allergy_id}",
                             headers=p)).status_code == 204
    queue = (await api.get("/api/v1/doctor/opinion-requests", headers=d)).json()["items"]
    assert [q["id"] for q in queue] == [draft.id]
    detail = (await api.get(f"/api/v1/doctor/opinion-requests/{draft.id}", headers=d)).json()
    items = {a["kind"]: a["item"] for a in detail["attachments"]}
    assert items["allergy"]["substance"] == "Pénicilline"
    assert items["document"]["filename"] == "ecg.pdf"
    content = await api.get(f"/api/v1/documents/{draft.document_id}/content", headers=d)
    assert content.status_code == 200 and content.content == PDF
    async with sessions() as session:
        actions = set(await session.scalars(select(AuditEntry.action).where(
            AuditEntry.actor_id == who.doctor.id, AuditEntry.outcome == "allowed")))
    assert {"opinion.read", "opinion.attachment.read", "document.read"} <= actions

    # Accept, ask (the clock stops), the patient answers (it resumes), answer.
    doctor_url = f"/api/v1/doctor/opinion-requests/{draft.id}"
    assert (await api.post(f"{doctor_url}/accept", headers=d)).json()["status"] == "in_review"
    asked = await api.post(f"{doctor_url}/ask", headers=d,
                           json={"question": "La douleur irradie-t-elle ?"})
    assert asked.status_code == 200 and asked.json()["status"] == "waiting_for_patient"
    await delivered(api, who.patient.email, "opinion_question")
    assert (await api.post(f"{url}/messages", headers=p,
                           json={"text": "Oui, vers le bras gauche."})).status_code == 201
    await status_of(api, draft, "in_review")
    answered = await api.post(f"{doctor_url}/answer", headers=d, json={
        "opinion": "Angor probable : épreuve d'effort à faire.",
        "recommendations": "Éviter les efforts intenses.",
        "prescriptions": [{"drug_id": AMLOR_5, "dosage": "1 comprimé le matin",
                           "quantity": 1, "duration_days": 30}]})
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    twice = await api.post(f"{doctor_url}/answer", headers=d, json={"opinion": "Autre."})
    assert twice.status_code == 409
    await delivered(api, who.patient.email, "opinion_answered")

    # The patient reads the answer and its prescriptions.
    final = (await api.get(url, headers=p)).json()
    assert final["consultation"]["kind"] == "opinion"
    assert final["consultation"]["summary"].startswith("Angor probable")
    prescriptions = (await api.get("/api/v1/me/prescriptions", headers=p)).json()["items"]
    assert [(g["kind"], [i["status"] for i in g["items"]]) for g in prescriptions] == [
        ("opinion", ["open"])]
    thread = (await api.get(f"{url}/messages", headers=p)).json()["items"]
    assert [m["purpose"] for m in thread] == ["message", "message", "question", "message"]
    # Follow-up messages are still open after the answer.
    assert (await api.post(f"{url}/messages", headers=p,
                           json={"text": "Merci docteur."})).status_code == 201


async def test_a_decline_is_refunded_through_the_payment(
        api: httpx.AsyncClient, worker: object, sessions: SessionMaker,
        e2e_settings: Settings) -> None:
    draft = await paid_request(api, sessions, e2e_settings)
    d = draft.who.doctor.headers
    declined = await api.post(f"/api/v1/doctor/opinion-requests/{draft.id}/decline",
                              headers=d, json={"reason": "Hors de ma spécialité."})
    assert declined.status_code == 200, declined.text
    final = await status_of(api, draft, "declined")
    assert final["refund_status"] in ("pending", "succeeded")
    await delivered(api, draft.who.patient.email, "opinion_declined")

    async def refunded() -> dict[str, Any] | None:
        got = (await api.get(f"/api/v1/payments/{final['payment_id']}",
                             headers=draft.who.patient.headers)).json()
        return got if got["status"] == "refunded" else None
    await eventually(refunded)

    async def recorded() -> bool:
        return (await row_of(sessions, draft.id)).refund_status == "succeeded"
    await eventually(recorded)
    assert (await status_of(api, draft, "declined"))["refund_status"] == "succeeded"


async def test_who_may_do_what(api: httpx.AsyncClient, worker: object, sessions: SessionMaker,
                               e2e_settings: Settings) -> None:
    draft = await paid_request(api, sessions, e2e_settings)
    other_patient = await make_user(sessions, e2e_settings, Role.patient)
    other_doctor = await make_user(sessions, e2e_settings, Role.doctor)
    pharmacist = await make_user(sessions, e2e_settings, Role.pharmacist)
    url, doctor_url = (f"/api/v1/opinion-requests/{draft.id}",
                       f"/api/v1/doctor/opinion-requests/{draft.id}")
    shared: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", url, None), ("GET", f"{url}/messages", None),
        ("POST", f"{url}/messages", {"text": "Bonjour"})]
    patient_only: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PATCH", url, {"reason": "Autre"}), ("DELETE", url, None),
        ("POST", f"{url}/attachments", {"kind": "document", "item_id": draft.document_id}),
        ("POST", f"{url}/submit", {"billing_address_id": draft.address_id,
                                    "payment_method": "card"})]
    doctor_only: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", doctor_url, None), ("POST", f"{doctor_url}/accept", None),
        ("POST", f"{doctor_url}/decline", {"reason": "Non"}),
        ("POST", f"{doctor_url}/ask", {"question": "Quoi ?"}),
        ("POST", f"{doctor_url}/answer", {"opinion": "Rien."})]

    async def call(user: TestUser, method: str, path: str,
                   body: dict[str, Any] | None) -> int:
        return (await api.request(method, path, headers=user.headers, json=body)).status_code

    for method, path, body in shared:
        for intruder in (other_patient, other_doctor, pharmacist):
            assert await call(intruder, method, path, body) == 404, (intruder.role, path)
    for method, path, body in patient_only:
        assert await call(other_patient, method, path, body) == 404, path
        for professional in (other_doctor, pharmacist):
            assert await call(professional, method, path, body) == 403, path
        # Its own doctor is not its patient either.
        assert await call(draft.who.doctor, method, path, body) == 403, path
    for method, path, body in doctor_only:
        assert await call(other_doctor, method, path, body) == 404, path
        for not_a_doctor in (other_patient, pharmacist, draft.who.patient):
            assert await call(not_a_doctor, method, path, body) == 403, path
    assert (await api.get("/api/v1/doctor/opinion-requests",
                          headers=other_doctor.headers)).json()["items"] == []
    async with sessions() as session:
        denied = set(await session.scalars(select(AuditEntry.actor_id).where(
            AuditEntry.subject_id == draft.who.patient.id, AuditEntry.outcome == "denied")))
    assert {other_patient.id, other_doctor.id, pharmacist.id} <= denied
    # The unrelated doctor never got a share of the attached document.
    async with sessions() as session:
        shares = set(await session.scalars(select(DocumentShare.doctor_id).where(
            DocumentShare.document_id == draft.document_id)))
    assert shares == {draft.who.doctor.id}
    assert (await api.get(f"/api/v1/documents/{draft.document_id}/content",
                          headers=other_doctor.headers)).status_code == 404


async def test_bad_input(api: httpx.AsyncClient, worker: object, sessions: SessionMaker,
                         e2e_settings: Settings, temporal_env: Any) -> None:
    draft = await draft_request(api, sessions, e2e_settings)
    p, url = draft.who.patient.headers, f"/api/v1/opinion-requests/{draft.id}"
    empty = await api.post("/api/v1/opinion-requests", headers=p, json={
        "doctor_id": draft.who.doctor.id, "reason": "  "})
    assert empty.status_code == 422
    stranger = await make_user(sessions, e2e_settings, Role.doctor)
    not_mine = await api.post("/api/v1/opinion-requests", headers=p, json={
        "doctor_id": stranger.id, "reason": "Avis"})
    assert not_mine.status_code == 403
    huge = await api.post(f"{url}/messages", headers=p, json={"text": "x" * 1_000_000})
    assert huge.status_code in (413, 422)
    out_of_range = await api.patch(url, headers=p, json={"vitals": [
        {"type": "temperature", "measured_at": "2026-11-30T08:00:00Z", "value": 3.7}]})
    assert out_of_range.status_code == 422
    other = await make_user(sessions, e2e_settings, Role.patient)
    theirs = await upload(api, other, ("theirs.pdf", PDF))
    attach = await api.post(f"{url}/attachments", headers=p, json={
        "kind": "document", "item_id": theirs.json()["items"][0]["id"]})
    assert attach.status_code == 422
    # Deleted: canceled by its process, and then nothing more.
    assert (await api.delete(url, headers=p)).status_code == 204
    assert (await api.get(url, headers=p)).json()["status"] == "canceled"
    assert (await api.post(f"{url}/messages", headers=p,
                           json={"text": "Encore ?"})).status_code == 409
    described = await temporal_env.client.get_workflow_handle(
        opinion_workflow_id(draft.id)).describe()
    assert described.status.name == "COMPLETED"


async def test_the_plan_gates_submission(
        api: httpx.AsyncClient, worker: object, sessions: SessionMaker,
        e2e_settings: Settings) -> None:
    who = await people(sessions, e2e_settings, plan=False)
    p = who.patient.headers
    created = await api.post("/api/v1/opinion-requests", headers=p, json={
        "doctor_id": who.doctor.id, "reason": "Avis", **SUMMARY})
    assert created.status_code == 201
    address = (await api.post("/api/v1/me/billing-addresses", json={"use_profile": True},
                              headers=p)).json()["id"]
    refused = await api.post(f"/api/v1/opinion-requests/{created.json()['id']}/submit",
                             headers=p, json={"billing_address_id": address,
                                              "payment_method": "card"})
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/plan-required")
    assert refused.json()["feature"] == "opinion_request"
