"""The published schema and its docs page: errors declared with the problem schema on every
operation, the Idempotency-Key header on every POST, a one-line summary per operation, and
/docs that works with no internet access."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends

from api.app import create_app
from api.deps import ActiveUser, TemporalClient, require_role
from core.settings import Settings
from domain.accounts import Role

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}


@pytest.fixture
def schema(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items()
            for method, op in ops.items()]


def test_every_error_response_is_a_problem(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        errors = {code: r for code, r in op["responses"].items() if int(code) >= 400}
        if op.get("parameters") or op.get("requestBody") or op.get("security"):
            assert errors, (method, path)
        for code, response in errors.items():
            if (path, code) == ("/health", "503"):
                continue  # answers the Health model, degraded
            assert response["content"] == PROBLEM, (method, path, code)
            assert response["description"], (method, path, code)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    problem = schema["components"]["schemas"]["ProblemDetails"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def test_errors_are_derived_from_what_each_route_depends_on(schema: dict[str, Any]) -> None:
    def codes(method: str, path: str) -> set[str]:
        return {c for c in schema["paths"][path][method]["responses"] if int(c) >= 400}

    assert codes("get", "/api/v1/me") == {"401"}
    assert codes("get", "/api/v1/me/record") == {"401", "403"}
    assert codes("get", "/api/v1/payments/{payment_id}") == {"401", "403", "404", "422"}
    assert codes("post", "/api/v1/me/documents") >= {"409", "413", "415", "422"}
    assert codes("post", "/api/v1/me/subscriptions") >= {"401", "403", "409", "422", "503"}
    assert codes("post", "/api/v1/auth/token") >= {"401", "422", "429"}


def test_a_new_router_is_covered_with_no_work(settings: Settings) -> None:
    """What another area adds later: declared from its dependencies alone."""
    router = APIRouter(prefix="/api/v1/new-things")

    @router.post("/{thing_id}/approve")
    async def approve(thing_id: str, _: ActiveUser, temporal: TemporalClient) -> dict[str, str]:
        """Approve a thing."""
        return {"id": thing_id}

    @router.get("", dependencies=[Depends(require_role(Role.admin))])
    async def things() -> list[str]:
        """The things."""
        return []

    app = create_app(settings)
    app.include_router(router)
    paths = app.openapi()["paths"]
    post = paths["/api/v1/new-things/{thing_id}/approve"]["post"]
    assert {c for c in post["responses"] if int(c) >= 400} == {
        "401", "403", "404", "409", "422", "503"}
    assert post["responses"]["404"]["content"] == PROBLEM
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert post["summary"] == "Approve a thing"
    get = paths["/api/v1/new-things"]["get"]
    assert {c for c in get["responses"] if int(c) >= 400} == {"401", "403"}


def test_every_post_declares_the_idempotency_key(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        if method != "POST":
            continue
        (header,) = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header" and header["required"] is False, path
        assert header["schema"]["maxLength"] == 200


def test_every_operation_has_a_one_line_description(schema: dict[str, Any]) -> None:
    """The summary is the first line of the route's docstring (not its function name)."""
    for method, path, op in operations(schema):
        assert op.get("description"), f"{method} {path} has no docstring"
        summary = op["summary"]
        assert "\n" not in summary and 10 <= len(summary) <= 100, (method, path, summary)
        assert op["description"].startswith(summary), (method, path)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def test_docs_load_everything_from_the_api_itself(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    sources = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    sources += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
    assert sources
    for source in sources:
        assert source.startswith("/"), source  # served here, not from another host
        assert (await client.get(source)).status_code == 200, source
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith(("text/javascript",
                                                      "application/javascript"))
    assert len(script.content) > 100_000
    assert (await client.get("/docs/oauth2-redirect")).status_code == 200
    assert (await client.get("/redoc")).status_code == 404  # it would load a CDN
