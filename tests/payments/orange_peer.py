"""A local Orange Money web payment peer (pytest-httpserver): OAuth token, webpayment
(answering pay_token, payment_url and notif_token), transactionstatus, and the notification
it posts to notif_url."""

from __future__ import annotations

import base64
import json
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


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


@dataclass
class OrangePeer:
    server: HTTPServer
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)

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

    def payer_pays(self, order_id: str, status: str = "SUCCESS") -> tuple[str, dict[str, str]]:
        """The payer confirms with their PIN; returns the notification Orange posts."""
        payment = self.payments[order_id]
        payment["status"] = status
        payment["txnid"] = "MP" + uuid.uuid4().hex[:12].upper()
        return payment["notif_url"], {"status": status, "notif_token": payment["notif_token"],
                                      "txnid": payment["txnid"]}
