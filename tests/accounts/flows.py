"""Driving the account process as a client would: the HTTP API and the dev outbox."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx

PASSWORD = "a long enough password"

PROFILE = {
    "timezone": "Africa/Douala",
    "currency": "XAF",
    "country": "CM",
    "city": "Douala",
    "address_line": "Rue de la Joie, Akwa",
    "phone": "+237 670 00 00 01",
}


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def register(api: httpx.AsyncClient, email: str, role: str = "patient",
                   **extra: Any) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, "role": role, "first_name": "Awa",
            "last_name": "Ndiaye", "language": "en", **extra}
    if role == "doctor":
        body.setdefault("doctor", {"specialty": "cardiology", "license_number": "CM-12345"})
    return await api.post("/api/v1/auth/register", json=body)


async def outbox(api: httpx.AsyncClient, to: str, template: str | None = None) -> list[dict]:
    response = await api.get("/dev/outbox", params={"to": to})
    assert response.status_code == 200
    items: list[dict] = response.json()["items"]
    return [m for m in items if template is None or m["template"] == template]


async def delivered(api: httpx.AsyncClient, to: str, template: str, count: int = 1,
                    within: float = 20.0) -> list[dict]:
    """The messages of a template once `count` have arrived (a 202 sends them later); fails
    when they have not within `within` seconds. That no more come is for the caller to
    show once the process that sends them is over (read `outbox` then)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        messages = await outbox(api, to, template)
        if len(messages) >= count:
            return messages
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{len(messages)} {template} message(s) to {to} after "
                                 f"{within:.0f}s, {count} expected")
        await asyncio.sleep(0.05)


def token_of(message: dict) -> str:
    return parse_qs(urlparse(message["data"]["validation_url"]).query)["token"][0]


async def sign_in(api: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await api.post("/api/v1/auth/token", data={"username": email,
                                                          "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def validate(api: httpx.AsyncClient, email: str) -> dict[str, str]:
    """Follow the validation link; it signs the user in (the headers of that session)."""
    (link,) = await delivered(api, email, "account_validation")
    response = await api.post("/api/v1/auth/validate-email", json={"token": token_of(link)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "email_validated" and body["token_type"] == "bearer"
    return {"Authorization": f"Bearer {body['access_token']}"}


async def latest_code(api: httpx.AsyncClient, email: str) -> str:
    codes = await outbox(api, email, "verification_code")
    code: str = codes[0]["data"]["code"]
    return code


async def activate(api: httpx.AsyncClient, email: str | None = None, role: str = "patient",
                   **extra: Any) -> tuple[str, dict[str, str]]:
    """Register, validate, complete the profile, verify the code and consent."""
    email = email or new_email(role)
    assert (await register(api, email, role, **extra)).status_code == 202
    headers = await validate(api, email)
    response = await api.put("/api/v1/me/profile", json=PROFILE, headers=headers)
    assert response.status_code == 200, response.text
    response = await api.post("/api/v1/me/verification",
                              json={"code": await latest_code(api, email)}, headers=headers)
    assert response.status_code == 200, response.text
    response = await api.post("/api/v1/me/consent", json={"share_medical_data": True},
                              headers=headers)
    assert response.status_code == 200, response.text
    return email, headers
