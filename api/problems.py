"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from python_multipart.multipart import DEFAULT_MAX_HEADER_SIZE as MAX_PART_HEADER
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from domain.errors import InvalidField

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """Raise anywhere in the API to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_ or f"https://esame.cm/problems/{status}"
        self.title = title or _TITLES.get(status, "Error")
        self.errors = errors
        self.headers = headers
        # RFC 9457 extension members, beside type/title/status/detail (e.g. `feature`, or
        # the appointments in the way of a closed period).
        self.extensions = extensions or {}


def problem_response(problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    errors = problem.errors
    if errors is None and problem.status == 422:  # invalid input always says where
        errors = [{"location": "body", "message": problem.detail, "type": "invalid"}]
    if errors is not None:
        body["errors"] = errors
    for name, value in problem.extensions.items():
        body.setdefault(name, value)
    return JSONResponse(
        jsonable_encoder(body),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


class FieldError(BaseModel):
    """One thing wrong in the request: where (`location`, and `field` inside it, a dotted
    path such as `new.first_name` or `files.0`; no `field` when the whole body is at fault),
    and what is allowed."""

    location: str | None = Field(default=None, examples=["body"],
                                 description="body, query, path or header")
    field: str | None = Field(default=None, examples=["measured_at"])
    message: str = Field(examples=["must not be in the future"])
    type: str | None = Field(default=None, examples=["value_error"])


class ProblemDetails(BaseModel):
    """An error, as RFC 9457 problem details (`application/problem+json`)."""

    type: str = Field(examples=["https://esame.cm/problems/422"])
    title: str = Field(examples=["Invalid input"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["The request has invalid fields."])
    errors: list[FieldError] | None = Field(
        default=None, description="For invalid input: each field at fault and why.")


_LOCATIONS = ("body", "query", "path", "header", "cookie")
# The repr pydantic gives enum members in its messages: <Role.patient: 'patient'>.
_ENUM_REPR = re.compile(r"<\w+\.\w+: ('[^']*')>")


def _message(error: Mapping[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind in ("enum", "literal_error") and "expected" in ctx:
        return "must be one of " + _ENUM_REPR.sub(r"\1", str(ctx["expected"]))
    if kind == "json_invalid":
        return f"the body is not valid JSON: {ctx.get('error', 'cannot be read')}"
    return _ENUM_REPR.sub(r"\1", str(error.get("msg", "invalid")))


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors (pydantic's, as FastAPI gives them) in the request's own terms."""
    found = []
    for error in errors:
        loc = list(error.get("loc", ()))
        location = loc.pop(0) if loc and loc[0] in _LOCATIONS else "body"
        kind = str(error.get("type", ""))
        cause = (error.get("ctx") or {}).get("error")
        if kind == "json_invalid":
            loc = []  # what follows "body" is a character position, not a field
        elif isinstance(cause, InvalidField):
            loc += cause.field.split(".")
        entry: dict[str, Any] = {"location": location}
        if loc:
            entry["field"] = ".".join(str(part) for part in loc)
        elif kind in ("model_attributes_type", "dict_type", "model_type"):
            entry["message"] = "the body must be a JSON object (Content-Type: application/json)"
        entry.setdefault("message", _message(error))
        entry["type"] = kind
        found.append(entry)
    return found


def _unreadable_body(request: Request, exc: Exception) -> Problem | None:
    """A body that cannot even be parsed is invalid input (422), like invalid JSON."""
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, MultiPartException):
        reason = cause.__cause__ or cause.__context__
        error: dict[str, Any] = {"location": "body", "type": "multipart",
                                 "message": f"the multipart body cannot be read ({cause.message})"}
        if "header size" in str(reason):
            # python-multipart's limit on one part's header line: the part's file name.
            error["message"] = (f"a file name is too long (a part's header may be at most "
                                f"{MAX_PART_HEADER} bytes)")
            fields = _file_fields(request)
            if fields:
                error["field"] = fields[0]
        return Problem(422, "The request body cannot be read.", errors=[error])
    if str(getattr(exc, "detail", "")) == "There was an error parsing the body":
        return Problem(422, "The request body cannot be read.", errors=[
            {"location": "body", "type": "body", "message": "the body cannot be read"}])
    return None


def _file_fields(request: Request) -> list[str]:
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return []
    return [param.alias for param in dependant.body_params
            if isinstance(param.field_info, params.File)]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            Problem(422, "The request has invalid fields.", errors=field_errors(exc.errors()))
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        unreadable = _unreadable_body(request, exc) if exc.status_code == 400 else None
        return problem_response(unreadable or Problem(
            exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None)))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(Problem(500, "Something went wrong on our side."))
