"""All configuration in one place: temporal.yaml, then `.env`, then ESAME_* variables."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from domain.links import WebLinks
from domain.prices import ExchangeRates

DEV_SECRET_KEY = "dev-only-secret-change-me-in-production-0123456789"

CONFIG_FILE = Path(os.environ.get("ESAME_CONFIG_FILE", "temporal.yaml"))


class PayloadKey(BaseModel):
    """One AES-256 key of the payload codec; its id is written on every payload it encrypts."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    # Base64 of 32 random bytes (`esame payload-key` prints a new one).
    key: SecretStr

    @field_validator("key")
    @classmethod
    def _aes_256(cls, key: SecretStr) -> SecretStr:
        try:
            raw = base64.b64decode(key.get_secret_value(), validate=True)
        except ValueError:
            raise ValueError("a payload key is base64") from None
        if len(raw) != 32:
            raise ValueError("a payload key is 32 bytes (AES-256), base64-encoded")
        return key

    def secret(self) -> bytes:
        return base64.b64decode(self.key.get_secret_value())


# Public, so only for dev and tests: anyone can read what it encrypts.
DEV_PAYLOAD_KEY = PayloadKey(
    id="dev", key=SecretStr("ZXNhbWUtZGV2LW9ubHktcHVibGljLWtleS0zMmJ5dGU="))


class CodecSettings(BaseModel):
    """Payload encryption (AES-256-GCM) of everything E-same's clients send to Temporal."""

    enabled: bool = True
    # Oldest first: the last key encrypts, every key decrypts, so a new key is added at the
    # end and the old ones stay for the histories they encrypted.
    keys: list[PayloadKey] = Field(default_factory=lambda: [DEV_PAYLOAD_KEY], min_length=1)
    # Temporal UIs allowed to call the codec endpoint from a browser (CORS). In dev the
    # dev server's UI is allowed as well.
    cors_origins: list[str] = Field(default_factory=lambda: ["https://cloud.temporal.io"])

    @field_validator("keys")
    @classmethod
    def _unique_ids(cls, keys: list[PayloadKey]) -> list[PayloadKey]:
        if len({k.id for k in keys}) != len(keys):
            raise ValueError("payload key ids must be unique")
        return keys


class TemporalSettings(BaseModel):
    address: str = "127.0.0.1:7233"
    namespace: str = "default"
    task_queue: str = "esame"
    tls: bool = False
    api_key: str | None = None
    search_attributes: dict[str, str] = Field(
        default_factory=lambda: {
            "EsamePatientId": "Keyword",
            "EsameDoctorId": "Keyword",
            "EsamePharmacyId": "Keyword",
            # Who paid for another's care (a sponsorship): its run is found from either.
            "EsameSponsorId": "Keyword",
            "EsameStatus": "Keyword",
        }
    )
    codec: CodecSettings = Field(default_factory=CodecSettings)


class DevServerSettings(BaseModel):
    db_filename: str = "var/temporal.sqlite"
    ip: str = "127.0.0.1"
    port: int = 7233
    ui_port: int = 8233


class Durations(BaseModel):
    validation_reminder_after: timedelta = timedelta(days=1)
    validation_expires_after: timedelta = timedelta(days=7)
    profile_reminder_after: timedelta = timedelta(days=3)
    verification_code_ttl: timedelta = timedelta(minutes=10)
    # How long the account process waits for the registration's row to be committed.
    registration_commit_timeout: timedelta = timedelta(minutes=2)
    invitation_reminder_after: timedelta = timedelta(days=3)
    invitation_expires_after: timedelta = timedelta(days=14)
    doctor_invitation_reminder_after: timedelta = timedelta(days=2)
    doctor_invitation_expires_after: timedelta = timedelta(days=7)
    # A password reset link works this long (a timer of its process), once.
    password_reset_expires_after: timedelta = timedelta(hours=1)
    # A licence still unchecked by an admin this long after registration: the admins are
    # reminded, and again after as long, until one decides.
    professional_verification_reminder_after: timedelta = timedelta(days=2)
    payment_deadline: timedelta = timedelta(minutes=30)
    payment_poll_initial: timedelta = timedelta(seconds=10)
    payment_poll_max: timedelta = timedelta(minutes=5)
    # A Mobile Money refund is polled (same backoff) this long, then left to staff.
    refund_deadline: timedelta = timedelta(days=3)
    # How long a checkout request waits for the provider to create the payment (then 409).
    payment_checkout_wait: timedelta = timedelta(seconds=20)
    renewal_reminder_before: timedelta = timedelta(days=3)
    grace_period: timedelta = timedelta(days=7)
    # Agendas: no slot is offered (or can be booked) sooner than this from now.
    booking_min_notice: timedelta = timedelta(hours=1)
    # A paid record fill: the doctor may read and add to the record this long, then the
    # fill expires and the patient is refunded.
    record_fill_within: timedelta = timedelta(days=7)
    # Opinion requests: the answer is due this long after payment (time waiting for the
    # patient excluded), the wait for the patient's answer at most this long in all, the
    # thread open this long after the answer, an untouched draft closed after this long.
    opinion_answer_within: timedelta = timedelta(days=3)
    opinion_patient_wait: timedelta = timedelta(days=3)
    opinion_follow_up: timedelta = timedelta(days=7)
    opinion_draft_expires: timedelta = timedelta(days=30)
    # Appointments: an unpaid hold keeps its slot this long; a Mobile Money payment still
    # pending at the provider extends it once, up to `appointment_hold_max` from the booking.
    appointment_hold: timedelta = timedelta(minutes=15)
    appointment_hold_max: timedelta = timedelta(minutes=30)
    # A patient's cancellation (or reschedule) this long before the start is refunded in
    # full; later, canceled without a refund (the rule is frozen on the appointment).
    cancellation_notice: timedelta = timedelta(days=1)
    # Reminders before the start: P1D by email and SMS, PT1H by SMS.
    appointment_reminder_email_sms_before: timedelta = timedelta(days=1)
    appointment_reminder_sms_before: timedelta = timedelta(hours=1)
    # A teleconsultation's room opens this long before the start and closes this long
    # after its end (the doctor absent by then: canceled and refunded).
    teleconsultation_opens_before: timedelta = timedelta(minutes=10)
    teleconsultation_grace: timedelta = timedelta(minutes=30)
    # Pharmacy orders (API.md "Pharmacies"): each deadline is a timer of the order's process.
    proforma_quote_within: timedelta = timedelta(days=1)
    order_validation_within: timedelta = timedelta(hours=4)
    order_payment_within: timedelta = timedelta(days=1)
    pickup_within: timedelta = timedelta(days=7)
    # The patient is reminded of an order still to collect this long before it expires.
    pickup_reminder_before: timedelta = timedelta(days=2)


class Limits(BaseModel):
    verification_max_attempts: int = 5
    login_failures_per_window: int = 10
    login_window: timedelta = timedelta(minutes=15)
    invitations_per_day: int = 20
    verification_resends_per_window: int = 5
    verification_resend_window: timedelta = timedelta(hours=1)
    # Password reset requests, counted whether or not the address has an account (so the
    # answer tells nothing): per address, and per client (IP address), in one window.
    password_resets_per_address: int = 3
    password_resets_per_client: int = 20
    password_reset_window: timedelta = timedelta(hours=1)
    # Medical record documents: one file's size, files per upload, and the storage of the
    # free tier (no plan); a plan and bought storage raise it (domain/entitlements.py).
    document_max_bytes: int = 20 * 1024 * 1024
    documents_per_upload: int = 10
    storage_default_quota_bytes: int = 1024**3
    # A POST with an Idempotency-Key holds the key while it runs; a holder older than this
    # is taken to have died with its process (longer than any request takes), and the key
    # is free for the retry.
    idempotency_lease: timedelta = timedelta(minutes=5)
    # Agendas: the longest range of slots one request may ask for (two months of calendar).
    slot_range_max_days: int = 62
    # A closed period (leave, congress) lasts at most this long.
    closed_period_max_days: int = 366
    # Sponsorship: the checks of an E-same id (and its doctor) a sponsor may make in one
    # window, found or not, so that ids and a patient's doctors cannot be guessed by trying.
    sponsorship_checks_per_window: int = 10
    sponsorship_check_window: timedelta = timedelta(hours=1)


class EmailSettings(BaseModel):
    provider: Literal["outbox", "smtp", "sendgrid"] = "outbox"
    sender: str = "E-same <no-reply@esame.local>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    sendgrid_api_key: str | None = None
    sendgrid_host: str = "https://api.sendgrid.com"
    # E-same template name -> SendGrid dynamic template id (others are sent pre-rendered).
    sendgrid_templates: dict[str, str] = Field(default_factory=dict)


class SmsSettings(BaseModel):
    provider: Literal["outbox", "twilio"] = "outbox"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from: str | None = None
    # Twilio's API host; tests point it at a local peer.
    twilio_base_url: str = "https://api.twilio.com"


class StorageSettings(BaseModel):
    """Where uploaded documents live: a local folder (default) or an S3-compatible bucket."""

    provider: Literal["local", "s3"] = "local"
    # Local folder; empty means `<data_dir>/documents`.
    local_dir: Path | None = None
    s3_bucket: str = "esame-documents"
    s3_prefix: str = ""
    s3_region: str = "eu-west-3"
    # Set for an S3-compatible service (MinIO, moto, Scaleway...); empty means AWS.
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None


class PaymentSettings(BaseModel):
    """Payment providers. A method whose provider has no credentials goes to the sandbox."""

    # Sandbox (the local default): signs its webhooks with this secret.
    sandbox_webhook_secret: str = "sandbox-webhook-secret-change-me"
    # Stripe (card): PaymentIntents + signed webhooks.
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    # PayPal Orders v2.
    paypal_client_id: str | None = None
    paypal_client_secret: str | None = None
    paypal_webhook_id: str | None = None
    paypal_base_url: str = "https://api-m.sandbox.paypal.com"
    # MTN MoMo Collections.
    mtn_subscription_key: str | None = None
    mtn_api_user: str | None = None
    mtn_api_key: str | None = None
    mtn_base_url: str = "https://sandbox.momodeveloper.mtn.com"
    mtn_target_environment: str = "sandbox"
    # MTN MoMo Disbursements (refunds): a product of its own, with its own subscription key
    # and API user; without them an MTN refund is refused.
    mtn_disbursement_subscription_key: str | None = None
    mtn_disbursement_api_user: str | None = None
    mtn_disbursement_api_key: str | None = None
    # Orange Money web payment.
    orange_client_id: str | None = None
    orange_client_secret: str | None = None
    orange_merchant_key: str | None = None
    orange_base_url: str = "https://api.orange.com"
    orange_webpayment_path: str = "/orange-money-webpay/cm/v1"
    # Orange Money Cameroon cash-in (OM core APIs), which pays refunds back: the gateway's
    # consumer key and secret, the API username and password (X-AUTH-TOKEN), and the
    # merchant's channel user (MSISDN and PIN). Without them an Orange refund is refused.
    orange_cashin_base_url: str = "https://api-s1.orange.cm"
    orange_cashin_path: str = "/omcoreapis/1.0.2"
    orange_cashin_client_id: str | None = None
    orange_cashin_client_secret: str | None = None
    orange_cashin_username: str | None = None
    orange_cashin_password: str | None = None
    orange_cashin_channel_msisdn: str | None = None
    orange_cashin_pin: str | None = None
    # Invoices and one-off purchases.
    invoice_prefix: str = "ES"
    sms_pack_size: int = 50
    sms_pack_prices: dict[str, int] = Field(default_factory=lambda: {"XAF": 2500, "EUR": 400})
    storage_gb_prices: dict[str, int] = Field(default_factory=lambda: {"XAF": 500, "EUR": 100})


class VideoSettings(BaseModel):
    """LiveKit: room tokens are signed locally with the key and secret (no network)."""

    provider: Literal["livekit"] = "livekit"
    # Dev defaults: start a local `livekit-server` with this key and secret (--keys).
    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_api_key: str = "devkey"
    livekit_api_secret: SecretStr = SecretStr("esame-dev-livekit-secret-0123456789abcdef")


class PriceSettings(BaseModel):
    """Exchange rates for prices shown in the payer's currency (domain/prices.py).

    Rates are "units of the currency for 1 EUR" (the euro is the base because XAF is
    pegged to it: 1 EUR = 655.957 XAF, fixed, not configurable). The defaults are the
    ECB euro reference rates, rounded, of late 2025; production updates them
    (ESAME_PRICES__RATES_PER_EUR__USD=1.1612 ...) and says when in `rates_as_of`. A quote
    keeps the rate it used, so changing them never changes a price already quoted."""

    rates_per_eur: dict[str, Decimal] = Field(default_factory=lambda: {
        "USD": Decimal("1.16"), "GBP": Decimal("0.87"), "CAD": Decimal("1.62"),
        "CHF": Decimal("0.93"),
    })
    rates_as_of: str = "ECB euro reference rates, 2025-11 (rounded)"

    @field_validator("rates_per_eur", mode="before")
    @classmethod
    def _currency_codes(cls, rates: object) -> object:
        # Environment variables arrive lowercased (ESAME_PRICES__RATES_PER_EUR__USD -> usd),
        # merged after the file's keys: the later, the stronger.
        if isinstance(rates, dict):
            return {str(code).upper(): rate for code, rate in rates.items()}
        return rates

    def exchange_rates(self) -> ExchangeRates:
        return ExchangeRates(per_eur=self.rates_per_eur, as_of=self.rates_as_of)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ESAME_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    env: Literal["dev", "test", "prod"] = "dev"
    database_url: str = "sqlite+aiosqlite:///var/esame.sqlite"
    secret_key: str = DEV_SECRET_KEY
    access_token_ttl: timedelta = timedelta(hours=1)
    # Where the API is reached from outside; unset, where `esame api` listens (below).
    public_base_url: str = "http://127.0.0.1:8000"
    # The web app, where every link a user receives leads (domain/links.py). Unset, the
    # API's own URL: in dev the API serves a minimal page for each link.
    web_base_url: str | None = None
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # One log line per request; benchmarks turn it off.
    access_log: bool = True
    data_dir: Path = Path("var")

    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    dev_server: DevServerSettings = Field(default_factory=DevServerSettings)
    durations: Durations = Field(default_factory=Durations)
    limits: Limits = Field(default_factory=Limits)
    email: EmailSettings = Field(default_factory=EmailSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    payments: PaymentSettings = Field(default_factory=PaymentSettings)
    prices: PriceSettings = Field(default_factory=PriceSettings)
    video: VideoSettings = Field(default_factory=VideoSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        if CONFIG_FILE.exists():
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=CONFIG_FILE))
        return tuple(sources)

    @model_validator(mode="after")
    def _production_has_its_own_secrets(self) -> Settings:
        # Tokens and email links are signed with these: the defaults are public.
        if self.env == "prod":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError("set ESAME_SECRET_KEY (32+ characters) in production")
            if self.payments.sandbox_webhook_secret == PaymentSettings().sandbox_webhook_secret:
                raise ValueError("set ESAME_PAYMENTS__SANDBOX_WEBHOOK_SECRET in production")
            if not self.web_base_url:
                # Outside dev the API serves no pages: links would lead nowhere.
                raise ValueError("set ESAME_WEB_BASE_URL (the web app) in production")
        # Workflow payloads carry health data: outside dev they are encrypted, with a key
        # of the deployment's own.
        codec = self.temporal.codec
        if not self.is_dev and (not codec.enabled or any(
                k.secret() == DEV_PAYLOAD_KEY.secret() for k in codec.keys)):
            raise ValueError(
                "set ESAME_TEMPORAL__CODEC__KEYS to keys of your own outside dev, e.g. "
                "'[{\"id\": \"2026-12\", \"key\": \"<base64 of 32 random bytes>\"}]' "
                "(`esame payload-key` prints one); the payload codec cannot be turned off")
        return self

    @model_validator(mode="after")
    def _public_url_defaults_to_this_api(self) -> Settings:
        # `make run` on another port (ESAME_API_PORT) still sends links that reach it.
        if "public_base_url" not in self.model_fields_set:
            host = "127.0.0.1" if self.api_host in ("0.0.0.0", "::", "") else self.api_host
            self.public_base_url = f"http://{host}:{self.api_port}"
        return self

    @model_validator(mode="after")
    def _rates_are_valid(self) -> Settings:
        self.prices.exchange_rates()  # raises on an unsupported currency or a bad rate
        return self

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    @property
    def web_links(self) -> WebLinks:
        return WebLinks(self.web_base_url or self.public_base_url)


@lru_cache
def get_settings() -> Settings:
    return Settings()
