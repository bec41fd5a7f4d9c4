"""A local Orange Money peer (pytest-httpserver).

Web payment: OAuth token, webpayment (answering pay_token, payment_url and notif_token),
transactionstatus, and the notification it posts to notif_url.

Cash-in of the OM core APIs (Orange Money Cameroon's other gateway, served here on the same
port): a token of its own (`/token`, the consumer key and secret), X-AUTH-TOKEN (API username
and password) on every call, `cashin/init` giving a pay token, `cashin/pay` crediting the
subscriber from the merchant's channel user (MSISDN and PIN) once per pay token, and
`cashin/paymentstatus/{payToken}`: PENDING, then the result the test sets ("SUCCESSFULL", as
Orange spells it, or FAILED with a message)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CLIENT_ID = "orange-client"
CLIENT_SECRET = "orange-secret"
MERCHANT_KEY = "c4b1a2f0"
TOKEN = "orange-access-token"
PATH = "/orange-money-webpay/cm/v1"
CASHIN_CLIENT_ID = "om-core-consumer-key"
CASHIN_CLIENT_SECRET = "om-core-consumer-secret"
CASHIN_TOKEN = "om-core-access-token"
CASHIN_USERNAME = "ESAMEAPI"
CASHIN_PASSWORD = "esame-api-password"
CHANNEL_MSISDN = "691234567"
CHANNEL_PIN = "2222"
CORE = "/omcoreapis/1.0.2"


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _public(cashin: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cashin.items() if k != "checks"}


@dataclass
class OrangePeer:
    server: HTTPServer
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Cash-ins by pay token ({"status": "INITIATED"} until paid).
    cashins: dict[str, dict[str, Any]] = field(default_factory=dict)
    cashin_pays: int = 0
    # How a cash-in ends: after this many status checks it becomes `cashin_result`.
    cashin_checks_before_final: int = 1
    cashin_result: str = "SUCCESSFULL"
    cashin_message: str = "Cash in effectue avec succes"
    # Take the next pay, then answer 500 as if the answer were lost on the way back.
    lose_next_pay_answer: bool = False

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def install(self) -> None:
        s = self.server
        s.expect_request("/oauth/v3/token", method="POST").respond_with_handler(self._token)
        s.expect_request(f"{PATH}/webpayment", method="POST").respond_with_handler(
            self._webpayment)
        s.expect_request(f"{PATH}/transactionstatus", method="POST").respond_with_handler(
            self._status)
        s.expect_request("/token", method="POST").respond_with_handler(self._cashin_token)
        s.expect_request(f"{CORE}/cashin/init", method="POST").respond_with_handler(
            self._cashin_init)
        s.expect_request(f"{CORE}/cashin/pay", method="POST").respond_with_handler(
            self._cashin_pay)
        s.expect_request(re.compile(rf"^{CORE}/cashin/paymentstatus/[A-Za-z0-9]+$"),
                         method="GET").respond_with_handler(self._cashin_status)

    def _token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if (request.headers.get("Authorization") != expected
                or request.form.get("grant_type") != "client_credentials"):
            return _json({"error": "invalid_client"}, 401)
        return _json({"token_type": "Bearer", "access_token": TOKEN, "expires_in": "7776000"})

    def _webpayment(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return _json({"code": 42, "message": "Expired credentials"}, 401)
        body = request.get_json()
        if body.get("merchant_key") != MERCHANT_KEY:
            return _json({"code": 48, "message": "Invalid merchant key"}, 400)
        pay_token = "v1" + uuid.uuid4().hex
        self.payments[body["order_id"]] = {**body, "pay_token": pay_token,
                                           "notif_token": uuid.uuid4().hex,
                                           "status": "INITIATED"}
        return _json({"status": 201, "message": "OK", "pay_token": pay_token,
                      "payment_url": f"https://mpayment.orange-money.com/cm/mpayment/abstract/"
                                     f"{pay_token}",
                      "notif_token": self.payments[body["order_id"]]["notif_token"]}, 201)

    def _status(self, request: Request) -> Response:
        body = request.get_json()
        found = self.payments.get(body.get("order_id", ""))
        if (request.headers.get("Authorization") != f"Bearer {TOKEN}" or found is None
                or found["pay_token"] != body.get("pay_token")
                or found["amount"] != body.get("amount")):
            return _json({"code": 1101, "message": "Transaction not found"}, 404)
        return _json({"status": found["status"], "order_id": body["order_id"],
                      "txnid": found.get("txnid")}, 201)

    def _core_authorized(self, request: Request) -> bool:
        x_auth = base64.b64encode(f"{CASHIN_USERNAME}:{CASHIN_PASSWORD}".encode()).decode()
        return (request.headers.get("Authorization") == f"Bearer {CASHIN_TOKEN}"
                and request.headers.get("X-AUTH-TOKEN") == x_auth)

    def _cashin_token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(
            f"{CASHIN_CLIENT_ID}:{CASHIN_CLIENT_SECRET}".encode()).decode()
        if (request.headers.get("Authorization") != expected
                or request.form.get("grant_type") != "client_credentials"):
            return _json({"error": "invalid_client"}, 401)
        return _json({"access_token": CASHIN_TOKEN, "token_type": "Bearer",
                      "expires_in": 3600})

    def _cashin_init(self, request: Request) -> Response:
        if not self._core_authorized(request):
            return _json({"message": "Invalid credentials"}, 401)
        pay_token = "CI" + uuid.uuid4().hex[:20].upper()
        self.cashins[pay_token] = {"payToken": pay_token, "status": "INITIATED", "txnid": None}
        return _json({"message": "Cashin init successful", "data": {"payToken": pay_token}})

    def _cashin_pay(self, request: Request) -> Response:
        if not self._core_authorized(request):
            return _json({"message": "Invalid credentials"}, 401)
        body = request.get_json()
        found = self.cashins.get(body.get("payToken", ""))
        if found is None:
            return _json({"message": "PayToken not found"}, 404)
        if found["status"] != "INITIATED":
            return _json({"message": "PayToken already used"}, 400)
        if (body.get("channelUserMsisdn") != CHANNEL_MSISDN or body.get("pin") != CHANNEL_PIN
                or not re.fullmatch(r"6[0-9]{8}", str(body.get("subscriberMsisdn")))
                or not isinstance(body.get("amount"), int) or not body.get("orderId")):
            return _json({"message": "Invalid request"}, 400)
        self.cashin_pays += 1
        found.update({
            "status": "PENDING", "txnid": "CI" + uuid.uuid4().hex[:10].upper(), "checks": 0,
            "subscriberMsisdn": body["subscriberMsisdn"], "amount": body["amount"],
            "orderId": body["orderId"], "description": body.get("description"),
            "notifUrl": body.get("notifUrl"), "channelUserMsisdn": CHANNEL_MSISDN,
            "inittxnstatus": "200", "inittxnmessage": "Transaction initiee"})
        if self.lose_next_pay_answer:
            self.lose_next_pay_answer = False
            return _json({"message": "Internal error"}, 500)
        return _json({"message": "Cash in initiated", "data": _public(found)})

    def _cashin_status(self, request: Request) -> Response:
        if not self._core_authorized(request):
            return _json({"message": "Invalid credentials"}, 401)
        found = self.cashins.get(request.path.rsplit("/", 1)[1])
        if found is None:
            return _json({"message": "PayToken not found"}, 404)
        if found["status"] == "PENDING":
            found["checks"] += 1
            if found["checks"] > self.cashin_checks_before_final:
                found["status"] = self.cashin_result
                found["confirmtxnstatus"] = "200" if self.cashin_result == "SUCCESSFULL" else (
                    "60019")
                found["confirmtxnmessage"] = self.cashin_message
        return _json({"message": "Transaction status", "data": _public(found)})

    def paid_cashins(self) -> list[dict[str, Any]]:
        return [c for c in self.cashins.values() if c["status"] != "INITIATED"]

    def payer_pays(self, order_id: str, status: str = "SUCCESS") -> tuple[str, dict[str, str]]:
        """The payer confirms with their PIN; returns the notification Orange posts."""
        payment = self.payments[order_id]
        payment["status"] = status
        payment["txnid"] = "MP" + uuid.uuid4().hex[:12].upper()
        return payment["notif_url"], {"status": status, "notif_token": payment["notif_token"],
                                      "txnid": payment["txnid"]}
