"""Settings: temporal.yaml, environment overrides, and production refusing public defaults."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from core.settings import Settings


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
    with pytest.raises(ValidationError, match="SANDBOX_WEBHOOK_SECRET"):
        Settings(env="prod", secret_key="s" * 40)
    with pytest.raises(ValidationError, match="ESAME_WEB_BASE_URL"):
        Settings(env="prod", secret_key="s" * 40,
                 payments={"sandbox_webhook_secret": "w" * 32})
    assert Settings(env="prod", secret_key="s" * 40, web_base_url="https://app.esame.cm",
                    payments={"sandbox_webhook_secret": "w" * 32}).env == "prod"


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
