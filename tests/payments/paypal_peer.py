"""A local PayPal peer (pytest-httpserver) speaking Orders v2 as documented: OAuth client
credentials, orders created once per PayPal-Request-Id, approve link, capture, refund (once
per PayPal-Request-Id) and its status, and verify-webhook-signature for the events it sends.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CLIENT_ID = "paypal-client"
CLIENT_SECRET = "paypal-secret"
WEBHOOK_ID = "WH-ESAME-1"
TOKEN = "A21AA-paypal-token"


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


@dataclass
class PayPalPeer:
    server: HTTPServer
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_request_id: dict[str, str] = field(default_factory=dict)
    transmissions: dict[str, str] = field(default_factory=dict)
    captures: int = 0
    # Refunds by id, and the refund each PayPal-Request-Id made.
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    refund_by_request_id: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def install(self) -> None:
        s = self.server
        s.expect_request("/v1/oauth2/token", method="POST").respond_with_handler(self._token)
        s.expect_request("/v2/checkout/orders", method="POST").respond_with_handler(
            self._create)
        s.expect_request(re.compile(r"^/v2/checkout/orders/[A-Z0-9]+/capture$"),
                         method="POST").respond_with_handler(self._capture)
        s.expect_request(re.compile(r"^/v2/checkout/orders/[A-Z0-9]+$"),
                         method="GET").respond_with_handler(self._get)
        s.expect_request(re.compile(r"^/v2/payments/captures/[A-Z0-9]+/refund$"),
                         method="POST").respond_with_handler(self._refund)
        s.expect_request(re.compile(r"^/v2/payments/refunds/[A-Z0-9]+$"),
                         method="GET").respond_with_handler(self._get_refund)
        s.expect_request("/v1/notifications/verify-webhook-signature",
                         method="POST").respond_with_handler(self._verify)

    def _authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _token(self, request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if (request.headers.get("Authorization") != expected
                or request.form.get("grant_type") != "client_credentials"):
            return _json({"error": "invalid_client"}, 401)
        return _json({"access_token": TOKEN, "token_type": "Bearer", "expires_in": 32400})

    def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json({"name": "AUTHENTICATION_FAILURE"}, 401)
        request_id = request.headers.get("PayPal-Request-Id", "")
        if request_id in self.by_request_id:  # the same request again: the same order
            return _json(self.orders[self.by_request_id[request_id]], 200)
        body = request.get_json()
        unit = body["purchase_units"][0]
        if body.get("intent") != "CAPTURE" or not unit["amount"].get("value"):
            return _json({"name": "INVALID_REQUEST"}, 400)
        order_id = uuid.uuid4().hex[:17].upper()
        self.orders[order_id] = {
            "id": order_id, "status": "PAYER_ACTION_REQUIRED", "intent": "CAPTURE",
            "purchase_units": [unit],
            "links": [{"rel": "payer-action", "method": "GET",
                       "href": f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}"}],
        }
        self.by_request_id[request_id] = order_id
        return _json(self.orders[order_id], 201)

    def _get(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json({}, 401)
        order = self.orders.get(request.path.rsplit("/", 1)[1])
        return _json(order) if order else _json({"name": "RESOURCE_NOT_FOUND"}, 404)

    def _capture(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json({}, 401)
        order = self.orders[request.path.split("/")[4]]
        if order["status"] == "COMPLETED":
            return _json(order)  # PayPal-Request-Id replay: the same capture
        if order["status"] != "APPROVED":
            return _json({"name": "UNPROCESSABLE_ENTITY",
                          "details": [{"issue": "ORDER_NOT_APPROVED"}]}, 422)
        self.captures += 1
        unit = order["purchase_units"][0]
        unit["payments"] = {"captures": [{
            "id": uuid.uuid4().hex[:17].upper(), "status": "COMPLETED",
            "amount": unit["amount"], "custom_id": unit.get("custom_id")}]}
        order["status"] = "COMPLETED"
        return _json(order, 201)

    def _refund(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json({}, 401)
        request_id = request.headers.get("PayPal-Request-Id", "")
        if request_id in self.refund_by_request_id:  # the same request again: the same refund
            return _json(self.refunds[self.refund_by_request_id[request_id]], 200)
        refund = {"id": uuid.uuid4().hex[:17].upper(), "status": "COMPLETED",
                  "capture_id": request.path.split("/")[4]}
        self.refunds[refund["id"]] = refund
        if request_id:
            self.refund_by_request_id[request_id] = refund["id"]
        return _json(refund, 201)

    def _get_refund(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json({}, 401)
        refund = self.refunds.get(request.path.rsplit("/", 1)[1])
        return _json(refund) if refund else _json({"name": "RESOURCE_NOT_FOUND"}, 404)

    def _verify(self, request: Request) -> Response:
        if not self._authorized(request):
            return _json({}, 401)
        body = request.get_json()
        ok = (body.get("webhook_id") == WEBHOOK_ID
              and self.transmissions.get(body.get("transmission_id", ""))
              == body.get("transmission_sig")
              and body.get("webhook_event", {}).get("id"))
        return _json({"verification_status": "SUCCESS" if ok else "FAILURE"})

    def payer_approves(self, order_id: str) -> None:
        self.orders[order_id]["status"] = "APPROVED"

    def event(self, order_id: str, event_type: str) -> tuple[bytes, dict[str, str]]:
        """An event as PayPal posts it, with the transmission headers it signs."""
        order = self.orders[order_id]
        event = {"id": f"WH-{uuid.uuid4().hex[:20].upper()}", "event_version": "1.0",
                 "resource_type": "checkout-order", "event_type": event_type,
                 "resource": {"id": order_id, "status": order["status"],
                              "purchase_units": order["purchase_units"]}}
        transmission_id = str(uuid.uuid4())
        self.transmissions[transmission_id] = base64.b64encode(uuid.uuid4().bytes).decode()
        headers = {"paypal-auth-algo": "SHA256withRSA",
                   "paypal-cert-url": f"{self.url}/v1/notifications/certs/CERT-1",
                   "paypal-transmission-id": transmission_id,
                   "paypal-transmission-sig": self.transmissions[transmission_id],
                   "paypal-transmission-time": "2026-11-26T10:00:00Z",
                   "content-type": "application/json"}
        return json.dumps(event).encode(), headers
