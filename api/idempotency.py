"""`Idempotency-Key` on POST: the same key and body give back the first answer.

An ASGI middleware, so every creating route gets it without writing it again. The key is
scoped to the caller (the token's subject) and the path; the first request reserves the
key, a concurrent one with the same key gets 409, and a different body with a used key 422.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON
from core.security import decode_access_token
from core.settings import Settings
from db.engine import SessionMaker
from db.models import IdempotencyRecord

HEADER = b"idempotency-key"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, sessions: SessionMaker) -> None:
        self.app = app
        self.settings = settings
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if not raw_key:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not 1 <= len(key) <= 200:
            await _problem(send, 422, "Idempotency-Key must be 1 to 200 characters.")
            return

        body = await _read_body(receive)
        request_hash = _request_hash(headers.get(b"content-type", b""), body)
        record_key = f"{self._caller(headers)}:{scope['path']}:{key}"

        async with self.sessions() as session:
            existing = await session.get(IdempotencyRecord, record_key)
        if existing is not None:
            await self._replay(existing, request_hash, send)
            return
        try:
            async with self.sessions() as session, session.begin():
                session.add(IdempotencyRecord(key=record_key, request_hash=request_hash))
        except IntegrityError:
            await _problem(send, 409, "A request with this Idempotency-Key is in progress.")
            return

        status: int | None = None
        content_type = "application/json"
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"content-type":
                        content_type = value.decode("latin-1")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            async with self.sessions() as session, session.begin():
                if status is not None and status < 500:
                    record = await session.get(IdempotencyRecord, record_key)
                    if record is not None:
                        record.status_code = status
                        record.response_body = b"".join(chunks).decode("utf-8", "replace")
                        record.response_content_type = content_type
                else:  # a failure on our side: let the client try again with the same key
                    await session.execute(
                        delete(IdempotencyRecord).where(IdempotencyRecord.key == record_key)
                    )

    def _caller(self, headers: dict[bytes, bytes]) -> str:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            claims = decode_access_token(self.settings.secret_key, auth[7:].strip())
            if claims:
                return f"user:{claims['sub']}"
            return "token:" + hashlib.sha256(auth.encode()).hexdigest()[:32]
        return "anonymous"

    async def _replay(self, record: IdempotencyRecord, request_hash: str, send: Send) -> None:
        if record.request_hash != request_hash:
            await _problem(
                send, 422, "This Idempotency-Key was already used with a different request."
            )
            return
        if record.status_code is None:
            await _problem(send, 409, "A request with this Idempotency-Key is in progress.")
            return
        await send(
            {
                "type": "http.response.start",
                "status": record.status_code,
                "headers": [
                    (b"content-type", (record.response_content_type or "").encode()),
                    (b"idempotent-replayed", b"true"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": (record.response_body or "").encode()})


def _request_hash(content_type: bytes, body: bytes) -> str:
    """Same request, same hash: a multipart body is hashed without its boundary, which a
    client picks at random on every retry of the same upload."""
    match = re.search(rb"boundary=\"?([^\";]+)\"?", content_type)
    if content_type.startswith(b"multipart/") and match:
        boundary = match.group(1)
        content_type = content_type.replace(boundary, b"")
        body = body.replace(boundary, b"")
    return hashlib.sha256(content_type + b"\n" + body).hexdigest()


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    while True:
        message = await receive()
        parts.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(parts)


async def _problem(send: Send, status: int, detail: str) -> None:
    body: dict[str, Any] = {
        "type": f"https://esame.cm/problems/{status}",
        "title": "Idempotency-Key conflict" if status == 409 else "Invalid Idempotency-Key",
        "status": status,
        "detail": detail,
    }
    await send(
        {"type": "http.response.start", "status": status,
         "headers": [(b"content-type", PROBLEM_JSON.encode())]}
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})

