"""Business failures that cross Temporal as non-retryable ApplicationError types.

A workflow or activity raises `ApplicationError(message, type=<one of these>,
non_retryable=True)`; the API turns the type into an HTTP status.
"""

from enum import StrEnum


class BusinessError(StrEnum):
    bad_request = "BadRequest"
    not_found = "NotFound"
    forbidden = "Forbidden"
    conflict = "Conflict"
    invalid = "Invalid"
    too_many_attempts = "TooManyAttempts"
    payment_declined = "PaymentDeclined"
    # The user's plan does not include the care service (domain.entitlements.PlanFeature).
    plan_required = "PlanRequired"
    # The provider refused to pay a refund back, or has not confirmed it in time.
    refund_failed = "RefundFailed"


HTTP_STATUS = {
    BusinessError.bad_request: 400,
    BusinessError.forbidden: 403,
    BusinessError.plan_required: 403,
    BusinessError.not_found: 404,
    BusinessError.conflict: 409,
    BusinessError.invalid: 422,
    BusinessError.too_many_attempts: 429,
    BusinessError.payment_declined: 402,
    BusinessError.refund_failed: 409,
}


class InvalidField(ValueError):
    """Raised by a model validator that checks several fields together, to name the one at
    fault: the API reports `message` under `field` (a dotted path inside the model)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
