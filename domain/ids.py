"""Business ids and the workflow ids derived from them."""

import secrets
import uuid

# Crockford base32 without I, L, O, U: easy to read out and type.
_ESAME_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    return uuid.uuid4().hex


def new_esame_id() -> str:
    """Short public code a relative can type, e.g. ES-7K3F9Q."""
    return "ES-" + "".join(secrets.choice(_ESAME_ALPHABET) for _ in range(6))


def account_workflow_id(user_id: str) -> str:
    return f"account-{user_id}"


def invitation_workflow_id(invitation_id: str) -> str:
    return f"invitation-{invitation_id}"


def doctor_link_workflow_id(link_id: str) -> str:
    return f"doctor-link-{link_id}"


def payment_workflow_id(payment_id: str) -> str:
    return f"payment-{payment_id}"


def subscription_workflow_id(subscription_id: str) -> str:
    return f"subscription-{subscription_id}"


def password_reset_workflow_id(reset_id: str) -> str:
    return f"password-reset-{reset_id}"


def opinion_workflow_id(request_id: str) -> str:
    return f"opinion-{request_id}"
