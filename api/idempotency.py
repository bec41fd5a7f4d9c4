"""`Idempotency-Key` on POST: the same key and body give back the first answer.

An ASGI middleware, so every creating route gets it without writing it again. The key is
scoped to the caller (the token's subject) and the path. The first request holds the key
while it runs; its answer is stored before the client receives any of it, so a retry sent
the moment the answer arrives (the usual retry after a lost connection) gets that answer
replayed. A duplicate gets 409 only while the first request is still running, and a used
key with another body 422. A holder that outlives `limits.idempotency_lease` died with its
process: its key is free again.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON
from core.security import decode_access_token
from core.settings import Settings
from db.base import utcnow
from db.engine import SessionMaker
from db.models import IdempotencyRecord

HEADER = b"idempotency-key"
HEADER_NAME = "Idempotency-Key"
MAX_KEY_LENGTH = 200
IN_PROGRESS = "A request with this Idempotency-Key is still in progress; retry in a moment."
OTHER_REQUEST = "This Idempotency-Key was already used with a different request."


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
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            await _problem(send, 422, f"{HEADER_NAME} must be 1 to {MAX_KEY_LENGTH} "
                                      "characters.")
            return

        body = await _read_body(receive)
        request_hash = _request_hash(headers.get(b"content-type", b""), body)
        record_key = _record_key(self._caller(headers), scope["path"], key)

        holder = await self._claim(record_key, request_hash)
        if holder is not None:
            await _answer_for(holder, request_hash, send)
            return

        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message | None = None
        chunks: list[bytes] = []
        settled = False

        async def store_then_send(message: Message) -> None:
            nonlocal start, settled
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            answer = b"".join(chunks)
            await self._settle(record_key, start, answer)
            settled = True
            await send(start)
            await send({"type": "http.response.body", "body": answer})

        try:
            await self.app(scope, replay_receive, store_then_send)
        finally:
            if not settled:  # failed before answering: the client may try again
                await self._release(record_key)

    async def _claim(self, record_key: str, request_hash: str) -> IdempotencyRecord | None:
        """Take the key for this request (None), or the record of whoever has it."""
        for _ in range(3):
            now = utcnow()
            try:
                async with self.sessions() as session, session.begin():
                    record = await session.get(IdempotencyRecord, record_key)
                    if record is None:
                        session.add(IdempotencyRecord(key=record_key, request_hash=request_hash,
                                                      created_at=now))
                        return None
                    abandoned = (record.status_code is None
                                 and record.request_hash == request_hash
                                 and record.created_at < now - self.settings.limits
                                 .idempotency_lease)
                    if not abandoned:
                        return record
                    taken = await session.execute(
                        update(IdempotencyRecord)
                        .where(IdempotencyRecord.key == record_key,
                               IdempotencyRecord.status_code.is_(None),
                               IdempotencyRecord.created_at == record.created_at)
                        .values(created_at=now))
                    if getattr(taken, "rowcount", 0) == 1:
                        return None
            except IntegrityError:
                pass  # taken by a concurrent request a moment ago: read its record again
        raise RuntimeError(f"could not claim the idempotency key {record_key}")

    async def _settle(self, record_key: str, start: Message, answer: bytes) -> None:
        status = int(start["status"])
        if status >= 500:  # a failure on our side: the client may try again with the key
            await self._release(record_key)
            return
        content_type = "application/json"
        for name, value in start.get("headers", []):
            if name.lower() == b"content-type":
                content_type = value.decode("latin-1")
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(IdempotencyRecord).where(IdempotencyRecord.key == record_key)
                .values(status_code=status, response_body=answer.decode("utf-8", "replace"),
                        response_content_type=content_type))

    async def _release(self, record_key: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                delete(IdempotencyRecord).where(IdempotencyRecord.key == record_key,
                                                IdempotencyRecord.status_code.is_(None)))

    def _caller(self, headers: dict[bytes, bytes]) -> str:
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("bearer "):
            claims = decode_access_token(self.settings.secret_key, auth[7:].strip())
            if claims:
                return f"user:{claims['sub']}"
            return "token:" + hashlib.sha256(auth.encode()).hexdigest()[:32]
        return "anonymous"


async def _answer_for(record: IdempotencyRecord, request_hash: str, send: Send) -> None:
    if record.request_hash != request_hash:
        await _problem(send, 422, OTHER_REQUEST)
        return
    if record.status_code is None:
        await _problem(send, 409, IN_PROGRESS)
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


def _record_key(caller: str, path: str, key: str) -> str:
    """Hashed: a caller, a path and a key of any length fit the column."""
    return hashlib.sha256(f"{caller}\n{path}\n{key}".encode()).hexdigest()


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
    if status == 422:
        body["errors"] = [{"field": HEADER_NAME, "location": "header", "message": detail}]
    await send(
        {"type": "http.response.start", "status": status,
         "headers": [(b"content-type", PROBLEM_JSON.encode())]}
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
