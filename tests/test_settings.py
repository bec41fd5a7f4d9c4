"""Settings: temporal.yaml, environment overrides, and production refusing public defaults."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from core.settings import DEV_SECRET_KEY, PaymentSettings, Settings


def test_environment_overrides_one_nested_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESAME_TEMPORAL__ADDRESS", "temporal.example:7233")
    monkeypatch.setenv("ESAME_DURATIONS__VALIDATION_EXPIRES_AFTER", "P3D")
    settings = Settings()
    assert settings.temporal.address == "temporal.example:7233"
    assert settings.temporal.task_queue == "esame"  # the rest still comes from temporal.yaml
    assert settings.durations.validation_expires_after == timedelta(days=3)
    assert settings.durations.validation_reminder_after == timedelta(days=1)


def test_production_refuses_the_public_dev_secrets() -> None:
    with pytest.raises(ValidationError, match="ESAME_SECRET_KEY"):
        Settings(env="prod")
    with pytest.raises(ValidationError, match="ESAME_SECRET_KEY"):
        Settings(env="prod", secret_key="too short")
    with pytest.raises(ValidationError, match="SANDBOX_WEBHOOK_SECRET"):
        Settings(env="prod", secret_key="s" * 40)


def test_production_runs_on_secrets_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As an operator sets them: the secrets come from ESAME_* variables, the rest from
    temporal.yaml, and the dev-only pages are off."""
    monkeypatch.setenv("ESAME_ENV", "prod")
    monkeypatch.setenv("ESAME_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("ESAME_PAYMENTS__SANDBOX_WEBHOOK_SECRET", "w" * 32)
    settings = Settings()
    assert not settings.is_dev
    assert settings.secret_key != DEV_SECRET_KEY
    assert settings.payments.sandbox_webhook_secret != PaymentSettings().sandbox_webhook_secret
    assert settings.payments.sms_pack_prices == {"XAF": 2500, "EUR": 400}  # temporal.yaml
