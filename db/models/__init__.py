"""Every table; importing this package registers them all on Base.metadata."""

from db.models.accounts import (
    CareLink,
    DoctorProfile,
    Invitation,
    PasswordReset,
    PasswordResetAttempt,
    Pharmacy,
    ProfessionalVerification,
    User,
)
from db.models.agendas import AvailabilityRule, ClosedPeriod
from db.models.appointments import Appointment
from db.models.billing import (
    Balance,
    BillingAddress,
    Invoice,
    InvoiceCounter,
    Payment,
    PaymentCustomer,
    PeriodAllowance,
    Plan,
    ProviderEvent,
    Purchase,
    SandboxCharge,
    Subscription,
)
from db.models.consultations import Consultation, PrescriptionItem
from db.models.drugs import DrugProduct, DrugToken
from db.models.opinions import OpinionAttachmentRow, OpinionMessageRow, OpinionRequestRow
from db.models.pharmacy import PharmacyOrder, PharmacyOrderItem, ProformaLine
from db.models.platform import AuditEntry, IdempotencyRecord, Message, RateLimitEvent
from db.models.record import (
    Allergy,
    Antecedent,
    AttendingDoctor,
    Document,
    DocumentReport,
    DocumentShare,
    Treatment,
    VitalShare,
    VitalShareType,
    VitalSign,
)
from db.models.record_fills import RecordFill, RecordFillGrant
from db.models.references import ReferenceCounter
from db.models.requests import RequestIndexEntry
from db.models.sponsorships import Sponsorship

__all__ = [
    "PharmacyOrder",
    "PharmacyOrderItem",
    "ProformaLine",
    "Appointment",
    "Sponsorship",
    "AvailabilityRule",
    "ClosedPeriod",
    "Allergy",
    "Antecedent",
    "AttendingDoctor",
    "Balance",
    "BillingAddress",
    "Invoice",
    "InvoiceCounter",
    "Payment",
    "PaymentCustomer",
    "PeriodAllowance",
    "Plan",
    "ProviderEvent",
    "Purchase",
    "SandboxCharge",
    "Subscription",
    "AuditEntry",
    "CareLink",
    "Consultation",
    "DoctorProfile",
    "Document",
    "DocumentReport",
    "DocumentShare",
    "DrugProduct",
    "DrugToken",
    "IdempotencyRecord",
    "Invitation",
    "Message",
    "OpinionAttachmentRow",
    "OpinionMessageRow",
    "OpinionRequestRow",
    "PasswordReset",
    "PasswordResetAttempt",
    "Pharmacy",
    "RecordFill",
    "RecordFillGrant",
    "PrescriptionItem",
    "ProfessionalVerification",
    "RateLimitEvent",
    "ReferenceCounter",
    "RequestIndexEntry",
    "Treatment",
    "User",
    "VitalShare",
    "VitalShareType",
    "VitalSign",
]
