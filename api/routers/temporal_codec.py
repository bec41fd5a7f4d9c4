"""The codec endpoint of the Temporal UI and CLI: admins read encrypted payloads there.

Temporal's codec server protocol: `POST …/decode` and `POST …/encode` take and answer
`{"payloads": [...]}`, Payloads as protobuf JSON (bytes in base64), with the namespace in
the `X-Namespace` header; bad input is a 400. The Temporal UI calls it from the admin's
browser, so it answers CORS preflights for the UIs configured
(`ESAME_TEMPORAL__CODEC__CORS_ORIGINS`, and the dev server's UI in dev).

Who may call it: an active admin, by bearer token (`temporal --codec-auth "Bearer …"`) or
by the cookie `POST …/session` sets for a browser (the UI's "include cross-origin
credentials"). In dev, whose key is public anyway, a call without credentials is let
through so that the dev server's UI decodes with nothing to set up. Every admin call is
written to the audit log: decoded payloads hold patients' data.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, SettingsDep, get_current_user, oauth2_scheme
from api.problems import Problem, problem_response
from core.payload_codec import (
    EncryptionCodec,
    PayloadCodecError,
    payload_codec,
    payloads_from_json,
    payloads_to_json,
)
from core.security import decode_access_token
from core.settings import Settings
from db.models import User
from db.queries.audit import Outcome, record_access
from domain.accounts import AccountStatus, Role

PREFIX = "/api/v1/admin/temporal-codec"
SESSION_COOKIE = "esame_temporal_codec"
# A page of history events at most; Temporal itself refuses payloads of more than 2 MB.
MAX_BODY_BYTES = 8 * 1024 * 1024
_ALLOWED_HEADERS = "authorization, content-type, x-namespace"


def allowed_origins(settings: Settings) -> set[str]:
    origins = set(settings.temporal.codec.cors_origins)
    if settings.is_dev:
        ui_port = settings.dev_server.ui_port
        origins |= {f"http://{host}:{ui_port}"
                    for host in (settings.dev_server.ip, "127.0.0.1", "localhost")}
    return origins


def _cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None or origin not in allowed_origins(request.app.state.settings):
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true",
            "Vary": "Origin"}


class _CorsRoute(APIRoute):
    """Every answer carries the CORS headers, errors included: the UI must be able to read
    a 401 to show it."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def with_cors(request: Request) -> Response:
            try:
                response: Response = await handler(request)
            except Problem as problem:
                response = problem_response(problem)
            response.headers.update(_cors_headers(request))
            return response

        return with_cors


router = APIRouter(prefix=PREFIX, tags=["admin"], route_class=_CorsRoute)


class CodecPayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict,
                                     description="Each value base64, e.g. `encoding`.")
    data: str = Field("", description="Base64.")


class CodecPayloads(BaseModel):
    """Temporal's `Payloads` message as protobuf JSON."""

    payloads: list[CodecPayload]


_BODY_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/CodecPayloads"}}}}}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"model": CodecPayloads}, 400: {"description": "Not Payloads, or not decodable"},
    401: {"description": "No valid token"}, 403: {"description": "Not an admin"}}


# --- who calls ----------------------------------------------------------------------------

def _token(request: Request, bearer: str | None) -> str | None:
    return bearer or request.cookies.get(SESSION_COOKIE)


async def _admin(session: AsyncSession, settings: Settings, token: str, action: str) -> User:
    user = await get_current_user(session, settings, token)
    if user.role != Role.admin or user.status != AccountStatus.active:
        await record_access(session, user, None, action, PREFIX, Outcome.denied)
        raise Problem(403, "Only admins read workflow payloads.")
    return user


async def _caller(request: Request, session: AsyncSession, settings: Settings,
                  bearer: str | None, action: str) -> User | None:
    token = _token(request, bearer)
    if token is None and settings.is_dev:
        return None  # the dev key is public: nothing to protect
    return await _admin(session, settings, token or "", action)


# --- the protocol -------------------------------------------------------------------------

def _codec(request: Request) -> EncryptionCodec | None:
    state = request.app.state
    if not hasattr(state, "payload_codec"):
        state.payload_codec = payload_codec(state.settings.temporal.codec)
    codec: EncryptionCodec | None = state.payload_codec
    return codec


async def _read_payloads(request: Request, settings: Settings) -> list[Any]:
    namespace = request.headers.get("x-namespace")
    if namespace is not None and namespace != settings.temporal.namespace:
        raise Problem(400, f"This codec serves the namespace {settings.temporal.namespace!r}.")
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        # Also what keeps a cross-site form from using the admin's cookie.
        raise Problem(415, "Send Payloads as protobuf JSON (Content-Type: application/json).")
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        raise Problem(413, "Too many payloads in one request.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise Problem(413, "Too many payloads in one request.")
    try:
        return payloads_from_json(body)
    except PayloadCodecError as err:
        raise Problem(400, str(err)) from None


async def _apply(request: Request, session: AsyncSession, settings: Settings,
                 bearer: str | None, action: Literal["decode", "encode"]) -> Response:
    admin = await _caller(request, session, settings, bearer, f"temporal.{action}")
    payloads = await _read_payloads(request, settings)
    codec = _codec(request)
    try:
        if codec is not None:
            payloads = await (codec.decode if action == "decode" else codec.encode)(payloads)
    except PayloadCodecError as err:
        raise Problem(400, str(err)) from None
    if admin is not None:
        await record_access(session, admin, None, f"temporal.{action}", f"{PREFIX}/{action}",
                            Outcome.allowed, f"{len(payloads)} payloads")
    return Response(payloads_to_json(payloads), media_type="application/json")


Bearer = Annotated[str | None, Depends(oauth2_scheme)]


@router.post("/decode", response_model=CodecPayloads, responses=_ANSWERS,
             openapi_extra=_BODY_DOC)
async def decode(request: Request, session: SessionDep, settings: SettingsDep,
                 bearer: Bearer) -> Response:
    """Decrypt payloads (the Temporal UI and `temporal --codec-endpoint` call this)."""
    return await _apply(request, session, settings, bearer, "decode")


@router.post("/encode", response_model=CodecPayloads, responses=_ANSWERS,
             openapi_extra=_BODY_DOC)
async def encode(request: Request, session: SessionDep, settings: SettingsDep,
                 bearer: Bearer) -> Response:
    """Encrypt payloads, e.g. the input of a workflow started from the Temporal UI."""
    return await _apply(request, session, settings, bearer, "encode")


@router.post("/session", status_code=204, responses={401: {}, 403: {}})
async def open_session(session: SessionDep, settings: SettingsDep, bearer: Bearer) -> Response:
    """For a browser: keep the admin's token in an HttpOnly cookie that the Temporal UI
    sends along when "include cross-origin credentials" is on (sign in at `/docs`, then
    call this there)."""
    if bearer is None:
        raise Problem(401, "Sign in first.", headers={"WWW-Authenticate": "Bearer"})
    await _admin(session, settings, bearer, "temporal.codec_session")
    claims = decode_access_token(settings.secret_key, bearer) or {}
    expires = datetime.fromtimestamp(int(claims.get("exp", 0)), UTC)
    response = Response(status_code=204)
    # SameSite=None: the UI is another site; Secure is required with it (browsers accept
    # it on http://localhost too).
    response.set_cookie(SESSION_COOKIE, bearer, expires=expires, path=PREFIX, secure=True,
                        httponly=True, samesite="none")
    return response


@router.delete("/session", status_code=204)
async def close_session() -> Response:
    """End the admin's codec session in this browser (its cookie is removed)."""
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX, secure=True, httponly=True,
                           samesite="none")
    return response


async def _preflight(request: Request) -> Response:
    headers = _cors_headers(request)
    if "Access-Control-Allow-Origin" not in headers:
        raise Problem(403, "This origin may not call the codec endpoint "
                           "(ESAME_TEMPORAL__CODEC__CORS_ORIGINS).")
    return Response(status_code=204, headers={
        **headers, "Access-Control-Allow-Methods": "POST, DELETE",
        "Access-Control-Allow-Headers": _ALLOWED_HEADERS, "Access-Control-Max-Age": "600"})


for _path in ("/decode", "/encode", "/session"):
    router.add_api_route(_path, _preflight, methods=["OPTIONS"], include_in_schema=False)
