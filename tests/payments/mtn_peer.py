"""A local MTN MoMo Collections peer (pytest-httpserver) speaking the documented API: token
with Basic auth and subscription key, request-to-pay keyed by X-Reference-Id (409 when
reused), and the status by reference."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SUBSCRIPTION_KEY = "mtn-sub-key"
API_USER = "0f6b9a3e-6f1c-4a8e-9d44-3b1f1e2c5a77"
API_KEY = "mtn-api-key"
TOKEN = "mtn-access-token"
UNKNOWN_PAYER = "237670000400"


@dataclass
class MtnPeer:
    server: HTTPServer
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    callbacks: dict[str, str] = field(default_factory=dict)
    posts: int = 0

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def install(self) -> None:
        self.server.expect_request("/collection/token/", method="POST").respond_with_handler(
            self._token)
        self.server.expect_request("/collection/v1_0/requesttopay",
                                   method="POST").respond_with_handler(self._request_to_pay)
        self.server.expect_request(
            self._status_path(), method="GET").respond_with_handler(self._status)

    @staticmethod
    def _status_path():  # type: ignore[no-untyped-def]
        import re

        return re.compile(r"^/collection/v1_0/requesttopay/[0-9a-f-]{36}$")

    def _authorized(self, request: Request) -> bool:
        return (request.headers.get("Authorization") == f"Bearer {TOKEN}"
                and request.headers.get("Ocp-Apim-Subscription-Key") == SUBSCRIPTION_KEY
                and request.headers.get("X-Target-Environment") == "sandbox")

    def _token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{API_USER}:{API_KEY}".encode()).decode()
        if (request.headers.get("Authorization") != expected
                or request.headers.get("Ocp-Apim-Subscription-Key") != SUBSCRIPTION_KEY):
            return Response(status=401)
        return Response(json.dumps({"access_token": TOKEN, "token_type": "access_token",
                                    "expires_in": 3600}), content_type="application/json")

    def _request_to_pay(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response(status=401)
        self.posts += 1
        reference = request.headers.get("X-Reference-Id", "")
        if reference in self.requests:
            return Response(json.dumps({"code": "RESOURCE_ALREADY_EXIST",
                                        "message": "Duplicated reference id."}), status=409,
                            content_type="application/json")
        body = request.get_json()
        if body.get("payer", {}).get("partyId") == UNKNOWN_PAYER:
            return Response(json.dumps({"code": "PAYER_NOT_FOUND",
                                        "message": "Payer not found"}), status=400,
                            content_type="application/json")
        if not (body.get("payer", {}).get("partyIdType") == "MSISDN"
                and body.get("amount") and body.get("currency")):
            return Response(status=400)
        self.requests[reference] = {**body, "status": "PENDING"}
        self.callbacks[reference] = request.headers.get("X-Callback-Url", "")
        return Response(status=202)

    def _status(self, request: Request) -> Response:
        if not self._authorized(request):
            return Response(status=401)
        reference = request.path.rsplit("/", 1)[1]
        found = self.requests.get(reference)
        if found is None:
            return Response(json.dumps({"code": "RESOURCE_NOT_FOUND"}), status=404,
                            content_type="application/json")
        result = {k: found[k] for k in ("amount", "currency", "externalId", "payer",
                                        "status")}
        if found["status"] == "SUCCESSFUL":
            result["financialTransactionId"] = "2350345" + reference[:4]
        return Response(json.dumps(result), content_type="application/json")

    def payer_answers(self, reference: str, status: str) -> dict[str, Any]:
        """The payer approves (or declines) on their phone; returns the callback body."""
        self.requests[reference]["status"] = status
        return {k: self.requests[reference][k] for k in ("amount", "currency", "externalId",
                                                         "payer", "status")}
