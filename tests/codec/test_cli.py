"""`esame up` starts the dev server's UI with the API's codec endpoint; `esame payload-key`
prints a key production accepts, even where the settings refuse to load without one."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from cli.main import codec_endpoint, dev_server_command, main
from core.settings import DevServerSettings, Settings
from tests.payments.support import free_port

PROD = {"env": "prod", "secret_key": "s" * 40, "web_base_url": "https://app.esame.test",
        "payments": {"sandbox_webhook_secret": "w" * 32}}


def test_payload_key_prints_a_key_production_accepts(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ESAME_ENV", "prod")  # and no key set: the settings would refuse
    main(["payload-key", "--id", "2027-01"])
    key = json.loads(capsys.readouterr().out)
    assert key["id"] == "2027-01"
    settings = Settings(**PROD, temporal={"codec": {"keys": [key]}})  # type: ignore[arg-type]
    assert len(settings.temporal.codec.keys[0].secret()) == 32
    main(["payload-key"])
    assert json.loads(capsys.readouterr().out)["key"] != key["key"]
    with pytest.raises(SystemExit):
        main(["payload-key", "--id", "no spaces"])


def test_the_dev_servers_ui_decodes_through_the_api(tmp_path: Path) -> None:
    settings = Settings(api_port=8123, dev_server=DevServerSettings(
        db_filename=str(tmp_path / "temporal.sqlite"), port=free_port(), ui_port=free_port()))
    assert codec_endpoint(settings) == "http://127.0.0.1:8123/api/v1/admin/temporal-codec"
    process = subprocess.Popen(dev_server_command(settings), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    ui = f"http://127.0.0.1:{settings.dev_server.ui_port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # The UI server hands its settings to the browser app, the codec's included.
                answer = httpx.get(f"{ui}/api/v1/settings", timeout=2)
                if answer.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the dev server's UI did not start"
            time.sleep(0.2)
        codec = {k.lower(): v for k, v in answer.json()["Codec"].items()}
        assert codec["endpoint"] == codec_endpoint(settings)
    finally:
        process.terminate()
        process.wait(20)
