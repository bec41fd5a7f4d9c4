"""Stripe's idempotent requests, in front of localstripe (which ignores `Idempotency-Key`).

What Stripe documents for API v1, and this proxy does:
- a POST with an `Idempotency-Key` runs once per key (keys belong to the API key that sent
  them); its status code and body are saved, and a retry with the same key and the same
  parameters gets them back, with the header `Idempotent-Replayed: true`, even a 5xx;
- the same key with other parameters (or on another endpoint) is refused: 400
  `idempotency_error`;
- while the first request with a key is still running, another one with that key gets 409
  `idempotency_error`;
- a request whose parameters fail validation saves nothing (here: a 400 naming a `param`);
- GET and DELETE ignore the header; a request without one is forwarded as it is.

And what localstripe does not know of saving a card during a payment: `setup_future_usage`
on a PaymentIntent is taken off before forwarding (localstripe refuses the parameter), put
back in the answer, and once such a PaymentIntent with a customer is confirmed and
succeeds, its PaymentMethod is attached to the customer, as Stripe does.

Everything is forwarded to localstripe; `seen` records what came in (the key and the
parameters it carried), and `hold_next` keeps the answer of the next matching request until
released, to stand for a client that dies after the request reached Stripe.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

import httpx
from werkzeug import Request, Response
from werkzeug.serving import BaseWSGIServer, make_server

# Not passed back: hop-by-hop, or recomputed by the server.
_DROPPED = {"connection", "content-length", "content-encoding", "transfer-encoding",
            "keep-alive", "date", "server"}


@dataclass
class Seen:
    method: str
    path: str
    idempotency_key: str | None
    replayed: bool
    status: int
    params: dict[str, str] = field(default_factory=dict)  # the form parameters it carried


@dataclass
class _Saved:
    fingerprint: tuple[str, str, tuple[tuple[str, str], ...]]
    status: int | None = None  # None: still running
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


@dataclass
class Hold:
    """The next POST to `path` is forwarded, then its answer waits for `release()`."""

    path: str
    forwarded: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


class StripeIdempotencyProxy:
    def __init__(self, upstream: str) -> None:
        self._upstream = upstream.rstrip("/")
        self._http = httpx.Client(timeout=30)
        self._lock = threading.Lock()
        self._saved: dict[tuple[str, str], _Saved] = {}
        self._holds: list[Hold] = []
        self.seen: list[Seen] = []
        # PaymentIntent id -> its `setup_future_usage`
        self.future_usage: dict[str, str] = {}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> StripeIdempotencyProxy:
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        for hold in self._holds:
            hold.release()
        if self._server is not None:
            self._server.shutdown()
        self._http.close()

    def hold_next(self, path: str) -> Hold:
        hold = Hold(path)
        with self._lock:
            self._holds.append(hold)
        return hold

    def creates(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST" and s.path == path]

    # --- the proxy ---------------------------------------------------------------------

    def _app(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        body = request.get_data()
        if request.method != "POST" or not key:
            response = self._forward(request, body)
            self._note(request, key, False, response.status_code)
            return response
        scope = (request.headers.get("Authorization", ""), key)
        fingerprint = (request.method, request.path,
                       tuple(sorted(parse_qsl(body.decode(), keep_blank_values=True))))
        with self._lock:
            saved = self._saved.get(scope)
            if saved is None:
                self._saved[scope] = saved = _Saved(fingerprint)
                first = True
            else:
                first = False
        if not first:
            replayed = False
            if saved.fingerprint != fingerprint:
                answer = _idempotency_error(
                    400, f"Keys for idempotent requests can only be used with the same "
                         f"parameters they were first used with. Try using a key other than "
                         f"'{key}' if you meant to execute a different request.")
            elif saved.status is None:
                answer = _idempotency_error(
                    409, "There is currently another in-progress request using this "
                         "idempotent key. Please try again later.")
            else:
                answer = Response(saved.body, status=saved.status, headers=saved.headers)
                answer.headers["Idempotent-Replayed"] = "true"
                replayed = True
            self._note(request, key, replayed, answer.status_code)
            return answer

        response = self._forward(request, body)
        with self._lock:
            if response.status_code == 400 and _names_a_param(response.get_data()):
                del self._saved[scope]  # failed validation: nothing saved
            else:
                saved.status = response.status_code
                saved.headers = list(response.headers.items())
                saved.body = response.get_data()
            hold = next((h for h in self._holds if h.path == request.path), None)
            if hold is not None:
                self._holds.remove(hold)
        self._note(request, key, False, response.status_code)
        if hold is not None:
            hold.forwarded.set()
            hold.released.wait(120)
        return response

    def _forward(self, request: Request, body: bytes) -> Response:
        future = None
        if request.method == "POST" and request.path == "/v1/payment_intents":
            pairs = parse_qsl(body.decode(), keep_blank_values=True)
            future = dict(pairs).get("setup_future_usage")
            if future is not None:
                body = urlencode([(k, v) for k, v in pairs
                                  if k != "setup_future_usage"]).encode()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length")}
        query = request.query_string.decode()
        upstream = self._http.request(
            request.method, self._upstream + request.path + (f"?{query}" if query else ""),
            headers=headers, content=body)
        content = upstream.content
        if request.path.startswith("/v1/payment_intents") and upstream.status_code == 200:
            content = self._future_usage(request, headers, upstream.json(), future)
        return Response(content, status=upstream.status_code,
                        headers=[(k, v) for k, v in upstream.headers.items()
                                 if k.lower() not in _DROPPED])

    def _future_usage(self, request: Request, headers: dict[str, str],
                      intent: dict[str, object], future: str | None) -> bytes:
        if intent.get("object") != "payment_intent":
            return json.dumps(intent).encode()
        intent_id = str(intent["id"])
        with self._lock:
            if future is not None:
                self.future_usage[intent_id] = future
            future = self.future_usage.get(intent_id)
        intent["setup_future_usage"] = future
        if (future and request.method == "POST" and request.path.endswith("/confirm")
                and intent.get("status") == "succeeded" and intent.get("customer")):
            attached = self._http.post(
                f"{self._upstream}/v1/payment_methods/{intent['payment_method']}/attach",
                headers={"Authorization": headers.get("Authorization", "")},
                data={"customer": str(intent["customer"])})
            attached.raise_for_status()
        return json.dumps(intent).encode()

    def _note(self, request: Request, key: str | None, replayed: bool, status: int) -> None:
        params = dict(parse_qsl(request.get_data().decode(), keep_blank_values=True))
        with self._lock:
            self.seen.append(Seen(request.method, request.path, key, replayed, status, params))


def _idempotency_error(status: int, message: str) -> Response:
    return Response(json.dumps({"error": {"type": "idempotency_error", "message": message}}),
                    status=status, content_type="application/json")


def _names_a_param(body: bytes) -> bool:
    try:
        return bool(json.loads(body).get("error", {}).get("param"))
    except (ValueError, AttributeError):
        return False
