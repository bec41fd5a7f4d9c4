"""Every table; importing this package registers them all on Base.metadata."""

from db.models.accounts import CareLink, DoctorProfile, Invitation, Pharmacy, User
from db.models.platform import AuditEntry, IdempotencyRecord, Message, RateLimitEvent

__all__ = [
    "AuditEntry",
    "CareLink",
    "DoctorProfile",
    "IdempotencyRecord",
    "Invitation",
    "Message",
    "Pharmacy",
    "RateLimitEvent",
    "User",
]
