"""A local MTN MoMo peer (pytest-httpserver) speaking the documented API.

Collections: token with Basic auth and subscription key, request-to-pay keyed by
X-Reference-Id (409 when reused), and the status by reference. Disbursements (another
product: its own subscription key, API user and token): refund of a successful
request-to-pay (`referenceIdToRefund`), keyed by its own X-Reference-Id (409 when reused),
accepted (202) then PENDING until the peer settles it, or refused outright (4xx), and its
status by reference (`reason` when FAILED)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SUBSCRIPTION_KEY = "mtn-sub-key"
API_USER = "0f6b9a3e-6f1c-4a8e-9d44-3b1f1e2c5a77"
API_KEY = "mtn-api-key"
TOKEN = "mtn-access-token"
UNKNOWN_PAYER = "237670000400"
DISBURSEMENT_KEY = "mtn-disbursement-sub-key"
DISBURSEMENT_USER = "5b1d6c2e-8a4f-4e3b-9c71-2d0e4f6a8b90"
DISBURSEMENT_API_KEY = "mtn-disbursement-api-key"
DISBURSEMENT_TOKEN = "mtn-disbursement-token"


def _error(status: int, code: str, message: str) -> Response:
    return Response(json.dumps({"code": code, "message": message}), status=status,
                    content_type="application/json")


def _issue_token(request: Request, user: str, key: str, subscription_key: str,
                 token: str) -> Response:
    expected = "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()
    if (request.headers.get("Authorization") != expected
            or request.headers.get("Ocp-Apim-Subscription-Key") != subscription_key):
        return Response(status=401)
    return Response(json.dumps({"access_token": token, "token_type": "access_token",
                                "expires_in": 3600}), content_type="application/json")


@dataclass
class MtnPeer:
    server: HTTPServer
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    callbacks: dict[str, str] = field(default_factory=dict)
    posts: int = 0
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    refund_posts: int = 0
    # How a refund ends: after this many status checks it becomes `refund_result`.
    refund_checks_before_final: int = 1
    refund_result: str = "SUCCESSFUL"
    refund_reason: str | None = None
    # Take the next refund, then answer 500 as if the answer were lost on the way back.
    lose_next_refund_answer: bool = False
    # Refuse refunds outright with this status and error code (e.g. 404 RESOURCE_NOT_FOUND).
    refund_refusal: tuple[int, str] | None = None

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def install(self) -> None:
        self.server.expect_request("/collection/token/", method="POST").respond_with_handler(
            self._token)
        self.server.expect_request("/collection/v1_0/requesttopay",
                                   method="POST").respond_with_handler(self._request_to_pay)
        self.server.expect_request(
            re.compile(r"^/collection/v1_0/requesttopay/[0-9a-f-]{36}$"),
            method="GET").respond_with_handler(self._status)
        self.server.expect_request("/disbursement/token/", method="POST").respond_with_handler(
            self._disbursement_token)
        self.server.expect_request("/disbursement/v1_0/refund",
                                   method="POST").respond_with_handler(self._refund)
        self.server.expect_request(
            re.compile(r"^/disbursement/v1_0/refund/[0-9a-f-]{36}$"),
            method="GET").respond_with_handler(self._refund_status)

    def _authorized(self, request: Request) -> bool:
        return (request.headers.get("Authorization") == f"Bearer {TOKEN}"
                and request.headers.get("Ocp-Apim-Subscription-Key") == SUBSCRIPTION_KEY
                and request.headers.get("X-Target-Environment") == "sandbox")

    def _disbursing(self, request: Request) -> bool:
        return (request.headers.get("Authorization") == f"Bearer {DISBURSEMENT_TOKEN}"
                and request.headers.get("Ocp-Apim-Subscription-Key") == DISBURSEMENT_KEY
                and request.headers.get("X-Target-Environment") == "sandbox")

    def _token(self, request: Request) -> Response:
        return _issue_token(request, API_USER, API_KEY, SUBSCRIPTION_KEY, TOKEN)

    def _disbursement_token(self, request: Request) -> Response:
        return _issue_token(request, DISBURSEMENT_USER, DISBURSEMENT_API_KEY, DISBURSEMENT_KEY,
                            DISBURSEMENT_TOKEN)

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

    def _refund(self, request: Request) -> Response:
        if not self._disbursing(request):
            return Response(status=401)
        self.refund_posts += 1
        reference = request.headers.get("X-Reference-Id", "")
        try:
            uuid.UUID(reference)
        except ValueError:
            return _error(400, "INVALID_REFERENCE_ID", "X-Reference-Id is not a UUID.")
        if reference in self.refunds:
            return _error(409, "RESOURCE_ALREADY_EXIST", "Duplicated reference id.")
        if self.refund_refusal is not None:
            status, code = self.refund_refusal
            return _error(status, code, "The refund was refused.")
        body = request.get_json()
        if not all(body.get(k) for k in ("amount", "currency", "externalId",
                                         "referenceIdToRefund")):
            return _error(400, "BAD_REQUEST", "Missing field.")
        paid = self.requests.get(body["referenceIdToRefund"])
        if paid is None or paid["status"] != "SUCCESSFUL":
            return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
        if body["currency"] != paid["currency"] or float(body["amount"]) > float(
                paid["amount"]):
            return _error(400, "INVALID_AMOUNT", "More than the payment to refund.")
        self.refunds[reference] = {**body, "payee": paid["payer"], "status": "PENDING",
                                   "checks": 0}
        if self.lose_next_refund_answer:
            self.lose_next_refund_answer = False
            return Response(status=500)
        return Response(status=202)

    def _refund_status(self, request: Request) -> Response:
        if not self._disbursing(request):
            return Response(status=401)
        found = self.refunds.get(request.path.rsplit("/", 1)[1])
        if found is None:
            return _error(404, "RESOURCE_NOT_FOUND", "Requested resource was not found.")
        found["checks"] += 1
        if found["status"] == "PENDING" and found["checks"] > self.refund_checks_before_final:
            found["status"] = self.refund_result
            if self.refund_result == "SUCCESSFUL":
                found["financialTransactionId"] = str(900000 + len(self.refunds))
            elif self.refund_reason:
                found["reason"] = self.refund_reason
        result = {k: found[k] for k in ("amount", "currency", "externalId", "payee",
                                        "payerMessage", "payeeNote", "status",
                                        "financialTransactionId", "reason") if k in found}
        return Response(json.dumps(result), content_type="application/json")

    def payer_answers(self, reference: str, status: str) -> dict[str, Any]:
        """The payer approves (or declines) on their phone; returns the callback body."""
        self.requests[reference]["status"] = status
        return {k: self.requests[reference][k] for k in ("amount", "currency", "externalId",
                                                         "payer", "status")}
