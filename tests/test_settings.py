"""Settings: temporal.yaml, environment overrides, and production refusing public defaults."""

import base64
import json
from datetime import timedelta

import pytest
from pydantic import ValidationError

from core.settings import DEV_PAYLOAD_KEY, DEV_SECRET_KEY, PaymentSettings, Settings

OWN_KEY = {"id": "2026-12", "key": base64.b64encode(b"k" * 32).decode()}
PROD = {"env": "prod", "secret_key": "s" * 40, "web_base_url": "https://app.esame.cm",
        "payments": {"sandbox_webhook_secret": "w" * 32}}


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
    with pytest.raises(ValidationError, match="ESAME_WEB_BASE_URL"):
        Settings(env="prod", secret_key="s" * 40,
                 payments={"sandbox_webhook_secret": "w" * 32})
    with pytest.raises(ValidationError, match="ESAME_TEMPORAL__CODEC__KEYS"):
        Settings(env="prod", secret_key="s" * 40, web_base_url="https://app.esame.cm",
                 payments={"sandbox_webhook_secret": "w" * 32})
    assert Settings(env="prod", secret_key="s" * 40, web_base_url="https://app.esame.cm",
                    payments={"sandbox_webhook_secret": "w" * 32},
                    temporal={"codec": {"keys": [OWN_KEY]}}).env == "prod"


def test_links_lead_to_the_web_app_or_else_to_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ESAME_PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("ESAME_WEB_BASE_URL", raising=False)
    on_its_port = Settings(api_port=8106)  # `make run` with ESAME_API_PORT=8106
    assert on_its_port.web_links.sign_in() == "http://127.0.0.1:8106/sign-in"
    assert Settings(api_host="0.0.0.0").public_base_url == "http://127.0.0.1:8000"
    api_only = Settings(public_base_url="https://api.esame.cm")
    assert api_only.web_links.sign_in() == "https://api.esame.cm/sign-in"
    web = Settings(public_base_url="https://api.esame.cm", web_base_url="https://esame.cm/")
    assert web.web_links.validate_email("a b") == "https://esame.cm/validate-email?token=a+b"


def test_production_runs_on_secrets_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As an operator sets them: the secrets come from ESAME_* variables, the rest from
    temporal.yaml, and the dev-only pages are off."""
    monkeypatch.setenv("ESAME_ENV", "prod")
    monkeypatch.setenv("ESAME_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("ESAME_PAYMENTS__SANDBOX_WEBHOOK_SECRET", "w" * 32)
    monkeypatch.setenv("ESAME_WEB_BASE_URL", "https://app.esame.cm")
    monkeypatch.setenv("ESAME_TEMPORAL__CODEC__KEYS", json.dumps([OWN_KEY]))
    settings = Settings()
    assert not settings.is_dev
    assert settings.secret_key != DEV_SECRET_KEY
    assert settings.payments.sandbox_webhook_secret != PaymentSettings().sandbox_webhook_secret
    assert settings.payments.sms_pack_prices == {"XAF": 2500, "EUR": 400}  # temporal.yaml


def test_payload_keys_come_from_the_environment_newest_last(
        monkeypatch: pytest.MonkeyPatch) -> None:
    newer = {"id": "2027-06", "key": base64.b64encode(b"n" * 32).decode()}
    monkeypatch.setenv("ESAME_TEMPORAL__CODEC__KEYS", json.dumps([OWN_KEY, newer]))
    codec = Settings(**PROD).temporal.codec  # type: ignore[arg-type]
    assert [k.id for k in codec.keys] == ["2026-12", "2027-06"]
    assert codec.keys[-1].secret() == b"n" * 32
    assert "nnnn" not in repr(codec)  # a secret, not printed


def test_dev_needs_nothing_set() -> None:
    assert Settings().temporal.codec.keys == [DEV_PAYLOAD_KEY]


def test_outside_dev_the_codec_has_its_own_keys_and_stays_on() -> None:
    for env in ("prod", "test"):
        with pytest.raises(ValidationError, match="ESAME_TEMPORAL__CODEC__KEYS"):
            Settings(**{**PROD, "env": env})  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="ESAME_TEMPORAL__CODEC__KEYS"):
            Settings(**{**PROD, "env": env,  # type: ignore[arg-type]
                        "temporal": {"codec": {"keys": [OWN_KEY, DEV_PAYLOAD_KEY]}}})
        with pytest.raises(ValidationError, match="cannot be turned off"):
            Settings(**{**PROD, "env": env,  # type: ignore[arg-type]
                        "temporal": {"codec": {"keys": [OWN_KEY], "enabled": False}}})


@pytest.mark.parametrize("keys", [
    [], [{"id": "a", "key": "not base64!"}],
    [{"id": "a", "key": base64.b64encode(b"short").decode()}],
    [{"id": "bad id", "key": OWN_KEY["key"]}], [OWN_KEY, OWN_KEY]])
def test_bad_payload_keys_are_refused(keys: list[dict[str, str]]) -> None:
    with pytest.raises(ValidationError):
        Settings(temporal={"codec": {"keys": keys}})  # type: ignore[arg-type]
