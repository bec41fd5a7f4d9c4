"""SMS: a Protocol, the local outbox default and the Twilio adapter."""

from providers.sms.base import SmsMessage, SmsSender, build_sms_sender

__all__ = ["SmsMessage", "SmsSender", "build_sms_sender"]
