"""Email: a Protocol, the local outbox default, SMTP and SendGrid adapters."""

from providers.email.base import EmailMessage, EmailSender, build_email_sender

__all__ = ["EmailMessage", "EmailSender", "build_email_sender"]
