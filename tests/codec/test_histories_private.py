"""No personal or health detail reaches Temporal in clear, for every workflow type the worker
registers: a representative run of each goes through the API, the real worker and the dev
server; its history, read straight from the server without the codec, holds no email
address, name, phone number, address, reason, symptom or drug name, and every payload in
it is encrypted (search attributes aside: ids and statuses, which the server indexes).
Through the codec the same history decodes to the run's inputs, and its summaries and
search attributes still name none of those details.

A workflow type registered in workers/main.py without a representative run here fails
`test_every_registered_workflow_type_has_a_representative_run`: add one with
`@representative_run(YourWorkflow, ...)`, listing the details your process handles.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from google.protobuf.message import Message
from pydantic import BaseModel
from sqlalchemy import select
from temporalio import workflow
from temporalio.api.history.v1 import History
from temporalio.converter import PayloadConverter
from temporalio.testing import WorkflowEnvironment

from api.account_processes import account_timings
from core.payload_codec import ENCODING, EncryptionCodec, decode_in_place
from core.settings import Settings
from core.temporal_client import data_converter
from db.engine import SessionMaker
from db.models import PasswordReset, User
from domain.accounts import AccountValidationInput, Role
from domain.ids import password_reset_workflow_id, payment_workflow_id
from domain.pharmacy import pharmacy_order_workflow_id
from domain.professionals import professional_verification_workflow_id
from tests.accounts.flows import PROFILE, activate, delivered, new_email, register
from tests.appointments.support import World, a_doctor, a_patient_of, book, status_is
from tests.codec.support import payloads_in
from tests.opinions.flows import SUMMARY, paid_request
from tests.payments.support import checkout, eventually, paying_patient, payment_fields
from tests.pharmacy.support import billing_address, cast, proforma_body, quote, request
from tests.record_fills.support import ask, patient_and_doctor, pay
from tests.sponsorships.flows import pay as pay_sponsorship
from tests.sponsorships.flows import sponsor as sponsor_consultation
from tests.sponsorships.world import make_world
from tests.support.users import make_user
from workers.main import workflows
from workflows.account_exists import AccountExistsNoticeWorkflow
from workflows.account_validation import AccountValidationWorkflow
from workflows.appointment import AppointmentWorkflow
from workflows.doctor_link import DoctorLinkWorkflow
from workflows.former_names import FORMER_NAMES
from workflows.invitation import InvitationWorkflow
from workflows.opinion import OpinionRequestWorkflow
from workflows.password_reset import PasswordResetWorkflow
from workflows.payment import PaymentWorkflow
from workflows.pharmacy_order import PharmacyOrderWorkflow
from workflows.professional_verification import ProfessionalVerificationWorkflow
from workflows.purchase import PurchaseWorkflow
from workflows.record_fill import RecordFillWorkflow
from workflows.sponsorship import SponsorshipWorkflow
from workflows.subscription import SubscriptionWorkflow

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("worker")]


@dataclass
class Stack:
    api: httpx.AsyncClient
    sessions: SessionMaker
    settings: Settings
    temporal: WorkflowEnvironment


@dataclass
class Run:
    """What a representative run left in Temporal."""

    # The workflows whose histories are read (all of the run's processes, children too).
    workflow_ids: list[str]
    # Personal and health details the run handled: none may show in clear anywhere in a
    # history, nor in a summary or a search attribute once decoded (at least 6 characters,
    # so that no ciphertext matches one by chance).
    private: list[str]
    # Of those, the ones a process carries in its payloads: the decoded history holds them
    # (the codec hid them; they were not simply left out).
    carried: list[str] = field(default_factory=list)
    # Of those, the public identity a start summary names so that admins find a run (a
    # person's name and E-same id; never health data, an address or a phone): encrypted at
    # rest like the rest, shown decoded.
    named: list[str] = field(default_factory=list)
    # What a workflow's start decodes to, by workflow id.
    inputs: dict[str, BaseModel] = field(default_factory=dict)


RunMaker = Callable[[Stack], Awaitable[Run]]
RUNS: dict[str, tuple[set[type], RunMaker]] = {}


def representative_run(*workflow_classes: type) -> Callable[[RunMaker], RunMaker]:
    """Register a run that starts (at least) these workflow types."""
    def register_run(make: RunMaker) -> RunMaker:
        RUNS[make.__name__] = (set(workflow_classes), make)
        return make
    return register_run


def _type_name(workflow_class: type) -> str:
    name = workflow._Definition.must_from_class(workflow_class).name
    assert name is not None
    return name


# --- the representative runs --------------------------------------------------------------

NAMES = {"first_name": "Clarisse", "last_name": "Ndjock-Essomba"}


async def _listed(s: Stack, query: str, part: str, within: float = 20) -> str:
    """The id of the run the query lists whose id holds `part` (visibility lags a little
    behind a start); fails when none is listed in time."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = [e.id async for e in s.temporal.client.list_workflows(query) if part in e.id]
        if found:
            return found[0]
        assert asyncio.get_running_loop().time() < deadline, f"no run {part} listed by {query}"
        await asyncio.sleep(0.1)


@representative_run(AccountValidationWorkflow, AccountExistsNoticeWorkflow)
async def registration(s: Stack) -> Run:
    """Sign-up to an active account, then someone registering again with that address."""
    email, headers = await activate(s.api, new_email("clarisse"), **NAMES)
    me = (await s.api.get("/api/v1/me", headers=headers)).json()
    assert (await register(s.api, email, **NAMES)).status_code == 202
    notice = await _listed(s, f"WorkflowType = '{_type_name(AccountExistsNoticeWorkflow)}'",
                           me["id"])
    # Done before the next test empties the database under its activities.
    await s.temporal.client.get_workflow_handle(notice).result()
    return Run(
        workflow_ids=[f"account-{me['id']}", notice],
        private=[email, *NAMES.values(), PROFILE["phone"], PROFILE["address_line"]],
        named=list(NAMES.values()),
        inputs={f"account-{me['id']}": AccountValidationInput(
            user_id=me["id"], timings=account_timings(s.settings))})


@representative_run(InvitationWorkflow)
async def friend_invitation(s: Stack) -> Run:
    inviter = await make_user(s.sessions, s.settings, Role.patient)
    friend = new_email("friend.of.clarisse")
    sent = await s.api.post("/api/v1/invitations", json={"email": friend},
                            headers=inviter.headers)
    assert sent.status_code == 202, sent.text
    return Run(workflow_ids=[f"invitation-{sent.json()['id']}"], private=[friend, inviter.email])


@representative_run(DoctorLinkWorkflow)
async def doctor_link(s: Stack) -> Run:
    doctor = await make_user(s.sessions, s.settings, Role.doctor)
    patient = await make_user(s.sessions, s.settings, Role.patient)
    asked = await s.api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                             headers=patient.headers)
    assert asked.status_code == 202, asked.text
    link_id = asked.json()["id"]
    accepted = await s.api.post(f"/api/v1/doctor/invitations/{link_id}/accept",
                                headers=doctor.headers)
    assert accepted.status_code == 200, accepted.text
    return Run(workflow_ids=[f"doctor-link-{link_id}"], private=[doctor.email, patient.email])


@representative_run(ProfessionalVerificationWorkflow)
async def licence_refused(s: Stack) -> Run:
    """A doctor registers; an admin cannot check the licence and says why."""
    email, licence = new_email("dr.ndjock"), "CM-ONMC-77881"
    assert (await register(s.api, email, "doctor", **NAMES, doctor={
        "specialty": "cardiology", "license_number": licence})).status_code == 202
    async with s.sessions() as session:
        doctor_id = await session.scalar(select(User.id).where(User.email == email))
    assert doctor_id is not None
    admin = await make_user(s.sessions, s.settings, Role.admin)
    reason = f"Licence {licence} unknown to the Ordre for Dr Ndjock-Essomba"
    refused = await s.api.post(f"/api/v1/admin/professionals/{doctor_id}/refuse",
                               json={"reason": reason}, headers=admin.headers)
    assert refused.status_code == 200, refused.text
    workflow_id = professional_verification_workflow_id(doctor_id)
    await s.temporal.client.get_workflow_handle(workflow_id).result()
    return Run(workflow_ids=[workflow_id], private=[email, *NAMES.values(), licence, reason],
               carried=[reason])


@representative_run(PasswordResetWorkflow)
async def password_reset(s: Stack) -> Run:
    user = await make_user(s.sessions, s.settings, Role.patient)
    assert (await s.api.post("/api/v1/auth/password-reset",
                             json={"email": user.email})).status_code == 202
    (message,) = await delivered(s.api, user.email, "password_reset")
    token = parse_qs(urlparse(message["data"]["reset_url"]).query)["token"][0]
    new_password = "a brand new passphrase 2027"
    confirmed = await s.api.post("/api/v1/auth/password-reset/confirm",
                                 json={"token": token, "new_password": new_password})
    assert confirmed.status_code == 204, confirmed.text
    async with s.sessions() as session:
        reset_id = await session.scalar(
            select(PasswordReset.id).where(PasswordReset.user_id == user.id))
    assert reset_id is not None
    workflow_id = password_reset_workflow_id(reset_id)
    await s.temporal.client.get_workflow_handle(workflow_id).result()
    return Run(workflow_ids=[workflow_id], private=[user.email, token, new_password])


PHONE = "+237670004242"
MOMO = "+237699001122"
ADDRESS = "12 rue de la Joie"


@representative_run(PurchaseWorkflow, PaymentWorkflow)
async def purchase_paid_by_mobile_money(s: Stack) -> Run:
    user, address = await paying_patient(s.sessions, s.settings, s.api, phone=PHONE)
    created = await s.api.post("/api/v1/me/purchases", headers=user.headers, json={
        "sms_packs": 1, "storage_gb": 1,
        **payment_fields(address, "mobile_money", operator="mtn", phone=MOMO)})
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]
    await checkout(s.api, payment, "succeed")
    purchase = f"purchase-{created.json()['purchase_id']}"
    await s.temporal.client.get_workflow_handle(purchase).result()
    return Run(workflow_ids=[purchase, payment_workflow_id(payment["id"])],
               private=[user.email, PHONE, MOMO, ADDRESS], carried=[MOMO])


@representative_run(SubscriptionWorkflow, PaymentWorkflow)
async def subscription_paid_by_card(s: Stack) -> Run:
    user, address = await paying_patient(s.sessions, s.settings, s.api, phone=PHONE)
    created = await s.api.post("/api/v1/me/subscriptions", headers=user.headers,
                               json={"plan_id": "plan-confort", **payment_fields(address)})
    assert created.status_code == 201, created.text
    payment = created.json()["payment"]
    await checkout(s.api, payment, "succeed")

    async def active() -> bool:
        found = (await s.api.get("/api/v1/me/subscription", headers=user.headers)).json()
        return bool(found["status"] == "active")

    await eventually(active)
    return Run(workflow_ids=[f"subscription-{created.json()['subscription_id']}",
                             payment_workflow_id(payment["id"])],
               private=[user.email, PHONE, ADDRESS], carried=[user.email, PHONE])


@representative_run(RecordFillWorkflow, PaymentWorkflow)
async def record_fill_completed(s: Stack) -> Run:
    """A patient pays their doctor to fill in their record; the doctor adds an antecedent and
    completes: neither the patient's note, the entry nor the doctor's note reaches Temporal."""
    pair = await patient_and_doctor(s.sessions, s.settings, s.api)
    note = "Merci de reprendre mes antécédents cardiaques"
    entry = "Hypertension artérielle depuis 2019"
    closing = "Dossier repris avec vos bilans de mars"
    created = await ask(s.api, pair, note=note)
    assert created.status_code == 201, created.text
    fill = await pay(s.api, pair, created.json())
    added = await s.api.post(f"/api/v1/patients/{pair.patient.id}/record/antecedents",
                             json={"category": "medical", "description": entry},
                             headers=pair.doctor.headers)
    assert added.status_code == 201, added.text
    done = await s.api.post(f"/api/v1/doctor/record-fill-requests/{fill['id']}/complete",
                            json={"note": closing}, headers=pair.doctor.headers)
    assert done.status_code == 200, done.text
    workflow_id = f"record-fill-{fill['id']}"
    await s.temporal.client.get_workflow_handle(workflow_id).result()
    return Run(workflow_ids=[workflow_id, payment_workflow_id(fill["payment_id"])],
               private=[pair.patient.email, pair.doctor.email, note, entry, closing,
                        ADDRESS])


@representative_run(OpinionRequestWorkflow, PaymentWorkflow)
async def opinion_answered(s: Stack) -> Run:
    """A medical opinion: drafted with an allergy and a document attached, a message, paid
    by card, asked about, answered with a prescription."""
    draft = await paid_request(s.api, s.sessions, s.settings)
    p, d = draft.who.patient.headers, draft.who.doctor.headers
    url, doctor_url = (f"/api/v1/opinion-requests/{draft.id}",
                       f"/api/v1/doctor/opinion-requests/{draft.id}")
    question, reply = "La douleur irradie-t-elle ?", "Oui, vers le bras gauche."
    opinion = "Angor probable : épreuve d'effort."
    assert (await s.api.post(f"{doctor_url}/ask", headers=d,
                             json={"question": question})).status_code == 200
    assert (await s.api.post(f"{url}/messages", headers=p,
                             json={"text": reply})).status_code == 201

    async def in_review() -> bool:
        got = (await s.api.get(url, headers=p)).json()
        return bool(got["status"] == "in_review")

    await eventually(in_review)
    answered = await s.api.post(f"{doctor_url}/answer", headers=d, json={
        "opinion": opinion, "prescriptions": [
            {"name": "Trinitrine spray", "dosage": "1 bouffée", "quantity": 1}]})
    assert answered.status_code == 200, answered.text
    payment_id = (await s.api.get(url, headers=p)).json()["payment_id"]
    return Run(workflow_ids=[f"opinion-{draft.id}", payment_workflow_id(payment_id)],
               private=[draft.who.patient.email, draft.who.doctor.email, "Douleurs thoraciques",
                        *SUMMARY.values(), "Pénicilline", "ecg.pdf", question, reply, opinion,
                        "Trinitrine spray"])


@representative_run(AppointmentWorkflow, PaymentWorkflow)
async def appointment_paid_by_mobile_money_then_canceled_by_the_doctor(s: Stack) -> Run:
    doctor = await a_doctor(s.sessions, s.settings)
    patient, address = await a_patient_of(s.sessions, s.settings, s.api, doctor, phone=PHONE)
    world = World(patient, doctor, address)
    reason = "Douleurs thoraciques depuis trois jours"
    booking = await book(s.api, world, method="mobile_money", operator="mtn", phone=MOMO,
                         reason_text=reason)
    assert booking.status_code == 201, booking.body
    await checkout(s.api, booking.payment, "succeed")
    await eventually(status_is(s.sessions, booking.id, "confirmed"))
    canceled = await s.api.post(f"/api/v1/appointments/{booking.id}/cancel",
                                json={"reason": "Congrès médical à Yaoundé"},
                                headers=doctor.headers)
    assert canceled.status_code == 200, canceled.text
    appointment = f"appointment-{booking.id}"
    await s.temporal.client.get_workflow_handle(appointment).result()
    async with s.sessions() as session:
        person = await session.get(User, patient.id)
        assert person is not None
    return Run(workflow_ids=[appointment, payment_workflow_id(booking.payment["id"])],
               private=[patient.email, PHONE, MOMO, ADDRESS, reason,
                        "Congrès médical à Yaoundé"],
               carried=[MOMO], named=[person.last_name])


@representative_run(PharmacyOrderWorkflow)
async def pharmacy_order_rejected(s: Stack) -> Run:
    """A pro-forma with a substituted drug, ordered, rejected for a reason naming a drug."""
    c = await cast(s.sessions, s.settings, phone=PHONE)
    order = (await request(s.api, c)).json()
    body = proforma_body(order, substitute=0)
    substitute = body["lines"][0]["product"]
    assert (await quote(s.api, c, order["id"], body)).status_code == 200
    assert (await s.api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                             headers=c.patient.headers)).status_code == 200
    reason = "Plus de DOLIPRANE 1000 en stock"
    rejected = await s.api.post(f"/api/v1/pharmacy/orders/{order['id']}/reject",
                                json={"reason": reason}, headers=c.staff.headers)
    assert rejected.status_code == 200, rejected.text
    workflow_id = pharmacy_order_workflow_id(order["id"])
    await s.temporal.client.get_workflow_handle(workflow_id).result()
    drugs = [i["name"] for i in order["items"]]
    return Run(workflow_ids=[workflow_id],
               private=[c.patient.email, PHONE, substitute, reason, *drugs],
               carried=[substitute, reason])


@representative_run(PharmacyOrderWorkflow, PaymentWorkflow)
async def pharmacy_order_paid_and_collected(s: Stack) -> Run:
    """Quoted with a substitution, paid by Mobile Money, collected with the pickup code."""
    c = await cast(s.sessions, s.settings, phone=PHONE)
    order = (await request(s.api, c)).json()
    body = proforma_body(order, substitute=0)
    assert (await quote(s.api, c, order["id"], body)).status_code == 200
    assert (await s.api.post(f"/api/v1/proformas/{order['id']}/order", json={},
                             headers=c.patient.headers)).status_code == 200
    assert (await s.api.post(f"/api/v1/pharmacy/orders/{order['id']}/validate",
                             headers=c.staff.headers)).status_code == 200
    address = await billing_address(s.api, c)
    paying = await s.api.post(f"/api/v1/pharmacy-orders/{order['id']}/pay",
                              headers=c.patient.headers, json=payment_fields(
                                  address, "mobile_money", operator="mtn", phone=MOMO))
    assert paying.status_code == 201, paying.text
    payment = paying.json()["payment"]
    await checkout(s.api, payment, "succeed")
    (paid,) = await delivered(s.api, c.patient.email, "order_paid")
    code = paid["data"]["pickup_code"]
    collected = await s.api.post(f"/api/v1/pharmacy/orders/{order['id']}/collect",
                                 json={"code": code}, headers=c.staff.headers)
    assert collected.status_code == 200, collected.text
    workflow_id = pharmacy_order_workflow_id(order["id"])
    await s.temporal.client.get_workflow_handle(workflow_id).result()
    drugs = [i["name"] for i in order["items"]]
    return Run(workflow_ids=[workflow_id, payment_workflow_id(payment["id"])],
               private=[c.patient.email, PHONE, MOMO, code, body["lines"][0]["product"],
                        *drugs],
               carried=[MOMO, body["lines"][0]["product"]])


@representative_run(SponsorshipWorkflow, PaymentWorkflow)
async def sponsorship_payment_refused(s: Stack) -> Run:
    world = await make_world(s.sessions, s.settings)
    created = await sponsor_consultation(s.api, world)
    await pay_sponsorship(s.api, created, "fail")
    sponsorship = f"sponsorship-{created['id']}"
    await s.temporal.client.get_workflow_handle(sponsorship).result()
    message = world.body()["message"]
    return Run(workflow_ids=[sponsorship, payment_workflow_id(created["payment"]["id"])],
               private=[world.sponsor.email, world.beneficiary.email, "+237670000321",
                        message, "3 rue de Rivoli", "Aïcha Bello", "Jean Dupont"],
               named=["Aïcha Bello", "Jean Dupont"])


# --- the checks ---------------------------------------------------------------------------

def test_every_registered_workflow_type_has_a_representative_run() -> None:
    # A former type name runs the code of its new one (workflows/former_names.py): nothing
    # starts it any more, and the new type's run shows that code.
    registered = {_type_name(cls) for cls in workflows() if cls not in FORMER_NAMES}
    covered = {_type_name(cls) for classes, _ in RUNS.values() for cls in classes}
    missing = sorted(registered - covered)
    assert not missing, (
        f"the worker registers {missing} without a representative run in {__name__}: add "
        "one (@representative_run) that starts it with the personal and health details "
        "it handles, so that the test shows they do not reach Temporal in clear")


def _clear_payloads(history: History) -> list[str]:
    """Payloads not encrypted, but search attributes (indexed by the server) and the SDK's
    patch markers (`workflow.patched`: the patch id)."""
    return [path for path, payload in payloads_in(history)
            if payload.metadata.get("encoding") != ENCODING
            and ".search_attributes." not in path and "[patch-data]" not in path]


def _values(converter: PayloadConverter, *messages: Message) -> str:
    """The JSON values of the payloads in these messages, as one text to search."""
    return json.dumps([converter.from_payloads([payload])[0] for m in messages
                       for _, payload in payloads_in(m)
                       if payload.metadata.get("encoding") == b"json/plain"],
                      ensure_ascii=False, default=str)


@pytest.mark.parametrize("name", sorted(RUNS))
async def test_histories_hold_no_personal_detail_in_clear(
    name: str, api: httpx.AsyncClient, sessions: SessionMaker, e2e_settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    classes, make = RUNS[name]
    run = await make(Stack(api, sessions, e2e_settings, temporal_env))
    assert all(len(detail) >= 6 for detail in run.private)
    codec = EncryptionCodec(e2e_settings.temporal.codec.keys)
    converter = data_converter(e2e_settings.temporal).payload_converter
    run_types = {_type_name(cls): cls for cls in workflows()}
    started_types: set[str] = set()
    decoded: list[str] = []
    for workflow_id in run.workflow_ids:
        # Straight from the server, as anyone with access to the cluster reads it.
        fetched = await temporal_env.client.get_workflow_handle(workflow_id).fetch_history()
        history = History(events=fetched.events)
        serialized = history.SerializeToString()
        for detail in run.private:
            assert detail.encode() not in serialized, f"{detail!r} in clear in {workflow_id}"
        assert _clear_payloads(history) == [], f"payloads in clear in {workflow_id}"

        # Through the codec, as an admin reads it in the Temporal UI.
        await decode_in_place(codec, history)
        first = history.events[0]
        started = first.workflow_execution_started_event_attributes
        type_name = started.workflow_type.name
        started_types.add(type_name)
        arg_types = workflow._Definition.must_from_class(run_types[type_name]).arg_types
        (start_input,) = converter.from_payloads(list(started.input.payloads), arg_types)
        if workflow_id in run.inputs:
            assert start_input == run.inputs[workflow_id]
        assert first.user_metadata.HasField("summary"), f"{workflow_id} has no summary"
        shown = _values(converter, *(e.user_metadata for e in history.events),
                        *(e.upsert_workflow_search_attributes_event_attributes
                          for e in history.events), started.search_attributes)
        for detail in run.private:
            if detail not in run.named:
                assert detail not in shown, f"{detail!r} in a summary or search attribute"
        decoded.append(_values(converter, history))
    assert started_types == {_type_name(cls) for cls in classes}
    for detail in run.carried:
        assert any(detail in text for text in decoded), f"{detail!r} never carried"
