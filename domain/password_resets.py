"""Password reset by email link: the process's models and activity references.

A reset is a short process of its own (`password-reset-<id>`): the link is sent, then it is
used once, replaced by a newer link, or expires (a timer).
"""

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from domain.accounts import Done
from domain.activity_ref import ActivityRef


class PasswordResetStatus(StrEnum):
    pending = "pending"
    used = "used"
    expired = "expired"
    # A newer link was asked for: only the latest one works.
    superseded = "superseded"


class PasswordResetTimings(BaseModel):
    expires_after: timedelta


class PasswordResetInput(BaseModel):
    reset_id: str
    user_id: str
    timings: PasswordResetTimings


class PasswordResetState(BaseModel):
    status: PasswordResetStatus


class RedeemPasswordReset(BaseModel):
    """The `redeem` update: the API keeps the new password's hash in an attempt row (never
    in a workflow history) and names it here."""

    attempt_id: str


class SupersedePasswordReset(BaseModel):
    """The `supersede` signal: a newer link was sent to the same account."""


# Activity inputs and outputs.

class SendPasswordResetLink(BaseModel):
    reset_id: str
    expires_at: datetime


class FindOlderPasswordResets(BaseModel):
    reset_id: str


class OlderPasswordResets(BaseModel):
    reset_ids: list[str]


class ApplyPasswordReset(BaseModel):
    reset_id: str
    attempt_id: str


class ClosePasswordReset(BaseModel):
    reset_id: str
    status: PasswordResetStatus


SEND_PASSWORD_RESET_LINK = ActivityRef(
    "send_password_reset_link", SendPasswordResetLink, Done)
FIND_OLDER_PASSWORD_RESETS = ActivityRef(
    "find_older_password_resets", FindOlderPasswordResets, OlderPasswordResets)
APPLY_PASSWORD_RESET = ActivityRef("apply_password_reset", ApplyPasswordReset, Done)
CLOSE_PASSWORD_RESET = ActivityRef("close_password_reset", ClosePasswordReset, Done)
