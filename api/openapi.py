"""The OpenAPI schema and its docs page, for every router at once.

Each operation's error responses are derived from the route itself, so that a new router is
documented with no per-route work:

| what the route has | errors it declares |
|---|---|
| a signed-in caller (`CurrentUser`, `ActiveUser`, a role) | 401 |
| an active account or a role (`ActiveUser`, `require_role`) | 403 |
| a path parameter (an id) | 404 |
| any parameter or body; any POST/PUT/PATCH/DELETE | 422 |
| POST, PUT, PATCH, DELETE | 409 (state conflict; an Idempotency-Key in use) |
| a file upload | 413, 415 |
| the Temporal client | 503 |

What cannot be derived (a rate limit's 429, a wrong code's 400, a 404 with no id in the
path) the route declares in `responses=`, with a description only: every 4xx and 5xx gets
the problem+json schema here. Every POST declares the `Idempotency-Key` header. The summary
of an operation is the first line of its docstring.

`/docs` serves Swagger UI from the `swagger-ui-bundle-v2` package: no CDN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from api.deps import get_active_user, get_current_user, get_temporal
from api.idempotency import HEADER_NAME, MAX_KEY_LENGTH
from api.problems import PROBLEM_JSON, FieldError, ProblemDetails

DOCS_ASSETS = "/docs/assets"
_CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
_DESCRIPTIONS = {
    400: "The request cannot be carried out as sent.",
    401: "Not signed in, or the access token is invalid or has expired.",
    403: "The account is not active yet, or its role may not do this.",
    404: "Nothing with this id, or nothing the caller may see.",
    409: "Conflicts with the current state, or a request with the same Idempotency-Key "
         "is still running.",
    413: "Too large: a file, or the storage quota.",
    415: "A file type that is not accepted.",
    422: "Invalid input: `errors` names each field at fault and what is allowed.",
    429: "Too many attempts: wait (see Retry-After).",
    503: "The workflow engine is not reachable; try again later.",
}
_PROBLEM_REF = {"$ref": f"#/components/schemas/{ProblemDetails.__name__}"}
_IDEMPOTENCY_PARAMETER = {
    "name": HEADER_NAME,
    "in": "header",
    "required": False,
    "description": "Send the same key to retry safely: the first answer is given back, "
                   "nothing is done twice (another body with a used key: 422; while the "
                   "first is still running: 409).",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def install_openapi(app: FastAPI) -> None:
    """The schema (built once, from every route the app has by then) and the docs page.
    Create the app with `docs_url=None, redoc_url=None`: the default pages load a CDN."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_schema(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(DOCS_ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
            oauth2_redirect_url=redirect)

    @app.get(redirect, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def build_schema(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (FieldError, ProblemDetails):
        components[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _document(operation, route, method)
    return schema


def error_statuses(route: RouteContext, method: str) -> set[int]:
    """The error statuses a route can answer, from what it depends on."""
    dependant = route.dependant
    calls = set(_calls(dependant))
    statuses: set[int] = set()
    if get_current_user in calls:
        statuses.add(401)
    if get_active_user in calls:
        statuses.add(403)
    if get_temporal in calls:
        statuses.add(503)
    if dependant.path_params:
        statuses.add(404)
    if method in _CHANGES:
        statuses |= {409, 422}
    if _inputs(dependant):
        statuses.add(422)
    if any(isinstance(p.field_info, params.File) for p in _body_params(dependant)):
        statuses |= {413, 415}
    return statuses


def _document(operation: dict[str, Any], route: RouteContext, method: str) -> None:
    responses = operation.setdefault("responses", {})
    declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(declared | error_statuses(route, method)):
        response = responses.setdefault(str(status), {})
        content = response.get("content") or {}
        if any(media.get("schema") for media in content.values()) and status != 422:
            continue  # a route's own model for this status (e.g. /health's 503)
        own = route.responses.get(status, {}).get("description")
        response["description"] = own or _DESCRIPTIONS.get(status, "Error.")
        response["content"] = {PROBLEM_JSON: {"schema": _PROBLEM_REF}}
    if method == "POST":
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == HEADER_NAME for p in parameters):
            parameters.append(dict(_IDEMPOTENCY_PARAMETER))
    if route.description and not route.summary:
        operation["summary"] = route.description.strip().splitlines()[0].rstrip(".")


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _body_params(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.body_params
    for sub in dependant.dependencies:
        yield from _body_params(sub)


def _inputs(dependant: Dependant) -> bool:
    if (dependant.path_params or dependant.query_params or dependant.header_params
            or dependant.cookie_params or dependant.body_params):
        return True
    return any(_inputs(sub) for sub in dependant.dependencies)
