"""Every link a user receives leads to a page that works: links are built on the web app's
base URL, and in dev the API serves a page for each, whose forms call the API. Followed
here as a new user would: each email's link opened, and what its page does, done."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.web_pages import PAGES, render
from core.settings import Settings
from db.engine import SessionMaker
from domain.accounts import Role, VerificationStatus
from domain.links import LINK_VARIABLES, WebPage
from domain.messages import TEMPLATES
from tests.accounts.flows import PASSWORD, delivered, new_email, register
from tests.payments.support import paying_patient, payment_fields
from tests.support.users import make_user
from workers.main import WorkerDeps, build_worker

WEB = "http://web.testserver"  # the web app: another host than the API's


class _Calls(HTMLParser):
    """What a page submits: its forms (method and API path) and its buttons' API calls."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, str]]] = []
        self.buttons: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and "action" in found:
            method = found.get("data-method") or found.get("method", "get")
            self.forms.append((method.upper(), found["action"], found))
        if "data-api" in found:
            self.buttons.append(found["data-api"])


def _calls(page_html: str) -> _Calls:
    parser = _Calls()
    parser.feed(page_html)
    return parser


def _link_variables(text: str) -> set[str]:
    return {name for name in re.findall(r"{(\w+)}", text) if name.endswith("_url")}


def _served(operations: dict[str, dict[str, object]], call: str) -> bool:
    method, path = call.split(" ", 1)
    return method.lower() in operations.get(path, {})


# --- every template's link, every page -----------------------------------------------------

def test_every_link_a_template_shows_leads_to_a_page() -> None:
    for name, languages in TEMPLATES.items():
        for language, (subject, body) in languages.items():
            assert "http" not in body and "http" not in subject, (name, language)
            for variable in _link_variables(body):
                assert variable in LINK_VARIABLES, (name, language, variable)
    assert set(LINK_VARIABLES.values()) <= set(PAGES)


async def test_dev_serves_each_page_and_its_calls_are_the_apis(settings: Settings) -> None:
    app = create_app(settings)
    operations = app.openapi()["paths"]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        for page_path, page in PAGES.items():
            path = page_path.value.format(payment_id="0123abcd")
            response = await client.get(path, params={"token": "t"})
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html")
            assert "connect-src 'self'" in response.headers["content-security-policy"]
            assert "<script src" not in response.text and "<link" not in response.text
            shown = _calls(response.text)
            submitted = [f"{m} {action}" for m, action, _ in shown.forms] + shown.buttons
            for call in page.api_calls():
                assert call.split(" ", 1)[1] in response.text, (path, call)
                assert _served(operations, call), (path, call)
            for call in submitted:
                assert call in page.api_calls(), (path, call)


async def test_no_page_is_served_outside_dev(settings: Settings) -> None:
    prod = settings.model_copy(update={"env": "test"})
    app = create_app(prod)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://testserver") as client:
        for page_path in PAGES:
            response = await client.get(page_path.value.format(payment_id="x"))
            assert response.status_code == 404


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_pages_scripts_parse(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for page_path, page in PAGES.items():
        script = re.search(r"<script>(.*)</script>", render(page), re.S)
        assert script is not None
        source = tmp_path / f"{page_path.name}.js"
        source.write_text(script.group(1))
        checked = subprocess.run(["node", "--check", str(source)], capture_output=True,
                                 text=True)
        assert checked.returncode == 0, (page_path, checked.stderr)


# --- each email's link, followed ---------------------------------------------------------

@pytest.fixture
def web_settings(e2e_settings: Settings) -> Settings:
    return e2e_settings.model_copy(update={"web_base_url": WEB})


@pytest.fixture
async def api_and_worker(web_settings: Settings, sessions: SessionMaker,
                         temporal_env: WorkflowEnvironment) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_settings, sessions=sessions, temporal=temporal_env.client)
    worker = build_worker(temporal_env.client, WorkerDeps.from_settings(web_settings, sessions))
    async with worker, httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://testserver") as client:
        yield client


async def _open(api: httpx.AsyncClient, url: str, page: WebPage) -> _Calls:
    """Open a link as its reader would: on the web app, its page, 200; what it submits
    (its buttons' calls are those it names, `Page.api_calls`)."""
    assert url.startswith(f"{WEB}/"), url
    parts = urlsplit(url)
    pattern = re.escape(page.value).replace(r"\{payment_id\}", "[^/]+")
    assert re.fullmatch(pattern, parts.path), (url, page)
    response = await api.get(parts.path, params=parse_qs(parts.query))
    assert response.status_code == 200, url
    assert response.headers["content-type"].startswith("text/html")
    calls = _calls(response.text)
    calls.buttons += [call for call in PAGES[page].api_calls() if call.split(" ", 1)[1]
                      in response.text]
    return calls


def _form(calls: _Calls, method: str, action: str) -> None:
    assert (method, action) in [(m, a) for m, a, _ in calls.forms], calls.forms


def _query(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query)[name][0]


@pytest.mark.db
async def test_each_email_link_opens_its_page_which_does_what_it_says(
    api_and_worker: httpx.AsyncClient, sessions: SessionMaker, web_settings: Settings,
) -> None:
    api = api_and_worker
    # Confirm the email: the page posts the link's token.
    email = new_email()
    assert (await register(api, email)).status_code == 202
    (validation,) = await delivered(api, email, "account_validation")
    url = validation["data"]["validation_url"]
    page = await _open(api, url, WebPage.validate_email)
    _form(page, "POST", "/api/v1/auth/validate-email")
    confirmed = await api.post("/api/v1/auth/validate-email",
                               json={"token": _query(url, "token")})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "email_validated"

    # Sign in: the link of "someone registered with your address".
    assert (await register(api, email)).status_code == 202
    (exists,) = await delivered(api, email, "account_exists")
    page = await _open(api, exists["data"]["sign_in_url"], WebPage.sign_in)
    _form(page, "POST", "/api/v1/auth/token")
    signed_in = await api.post("/api/v1/auth/token",
                               data={"username": email, "password": PASSWORD})
    assert signed_in.status_code == 200

    # Register from an invitation.
    patient = await make_user(sessions, web_settings, Role.patient)
    friend = new_email("friend")
    await api.post("/api/v1/invitations", json={"email": friend}, headers=patient.headers)
    (invitation,) = await delivered(api, friend, "platform_invitation")
    page = await _open(api, invitation["data"]["register_url"], WebPage.register)
    _form(page, "POST", "/api/v1/auth/register")
    assert (await register(api, friend)).status_code == 202
    await delivered(api, friend, "account_validation")

    # The doctor's invitations: the page lists them and accepts one.
    doctor = await make_user(sessions, web_settings, Role.doctor)
    link = await api.post("/api/v1/me/doctors", json={"doctor_id": doctor.id},
                          headers=patient.headers)
    (asked,) = await delivered(api, doctor.email, "doctor_invitation")
    page = await _open(api, asked["data"]["invitations_url"], WebPage.doctor_invitations)
    assert "POST /api/v1/doctor/invitations/{link_id}/accept" in page.buttons
    listed = await api.get("/api/v1/doctor/invitations", params={"status": "pending"},
                           headers=doctor.headers)
    assert [i["id"] for i in listed.json()["items"]] == [link.json()["id"]]
    accepted = await api.post(f"/api/v1/doctor/invitations/{link.json()['id']}/accept",
                              headers=doctor.headers)
    assert accepted.status_code == 200

    # The professional told of the check: the sign-in page.
    unchecked = await make_user(sessions, web_settings, Role.pharmacist,
                                verification=VerificationStatus.pending)
    admin = await make_user(sessions, web_settings, Role.admin)
    await api.post(f"/api/v1/admin/professionals/{unchecked.id}/approve", headers=admin.headers)
    (verified,) = await delivered(api, unchecked.email, "professional_verified")
    await _open(api, verified["data"]["sign_in_url"], WebPage.sign_in)

    # Pay: the payment's page (renewal links and order payments lead there too).
    payer, address = await paying_patient(sessions, web_settings, api)
    created = await api.post("/api/v1/me/subscriptions", headers=payer.headers,
                             json={"plan_id": "plan-confort", **payment_fields(address)})
    payment = created.json()["payment"]
    page = await _open(api, payment["payment_url"], WebPage.pay)
    assert "GET /api/v1/payments/{payment_id}" in page.buttons
    seen = await api.get(f"/api/v1/payments/{payment['id']}", headers=payer.headers)
    assert seen.json()["payment_url"] == payment["payment_url"]
    await api.post(urlsplit(payment["checkout_url"]).path, data={"outcome": "fail"})
