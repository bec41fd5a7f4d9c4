"""Every link a user receives, by email or SMS, points at a page of the web app: built here
on its base URL (`ESAME_WEB_BASE_URL`, the API's own URL by default), one function per
page, so that no activity writes a path of its own. In dev (`ESAME_ENV=dev`) the API
serves a minimal page for each (`api/routers/web_pages.py`).

A message's data names its links `<something>_url`; `LINK_VARIABLES` says which page each
leads to (tests check that every link a template shows is there, and that dev serves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlencode


class WebPage(StrEnum):
    """The web app's pages that links lead to (paths on the web base URL)."""

    validate_email = "/validate-email"  # ?token=
    profile = "/profile"
    sign_in = "/sign-in"
    register = "/register"  # ?invitation=
    doctor_invitations = "/doctor/invitations"
    reset_password = "/reset-password"  # ?token=
    pay = "/pay/{payment_id}"
    admin_professionals = "/admin/professionals"
    pharmacy_order_payment = "/pharmacy-order/pay"  # ?order=


# Template variable -> the page its link leads to.
LINK_VARIABLES: dict[str, WebPage] = {
    "validation_url": WebPage.validate_email,
    "profile_url": WebPage.profile,
    "sign_in_url": WebPage.sign_in,
    "register_url": WebPage.register,
    "invitations_url": WebPage.doctor_invitations,
    "reset_url": WebPage.reset_password,
    "payment_url": WebPage.pay,
    "professionals_url": WebPage.admin_professionals,
}


@dataclass(frozen=True)
class WebLinks:
    """The links of the web app whose base URL is `base`."""

    base: str

    def _url(self, path: str, **query: str) -> str:
        url = self.base.rstrip("/") + path
        return f"{url}?{urlencode(query)}" if query else url

    def validate_email(self, token: str) -> str:
        return self._url(WebPage.validate_email, token=token)

    def profile(self) -> str:
        return self._url(WebPage.profile)

    def sign_in(self) -> str:
        return self._url(WebPage.sign_in)

    def register(self, invitation_id: str | None = None) -> str:
        if invitation_id is None:
            return self._url(WebPage.register)
        return self._url(WebPage.register, invitation=invitation_id)

    def doctor_invitations(self) -> str:
        return self._url(WebPage.doctor_invitations)

    def reset_password(self, token: str) -> str:
        return self._url(WebPage.reset_password, token=token)

    def pay(self, payment_id: str) -> str:
        """Where the payer pays (or sees) a payment: renewal links, an order's payment."""
        return self._url(WebPage.pay.format(payment_id=quote(payment_id, safe="")))

    def pharmacy_order_payment(self, order_id: str) -> str:
        """Where the patient pays a validated pharmacy order (its `payment_url`: the
        payment is made there, once the patient has chosen how to pay)."""
        return self._url(WebPage.pharmacy_order_payment, order=order_id)

    def admin_professionals(self) -> str:
        return self._url(WebPage.admin_professionals)
