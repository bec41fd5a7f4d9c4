"""Helpers of the codec tests: keys, settings of a production deployment, payloads."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload

from core.settings import CodecSettings, PayloadKey, PaymentSettings, Settings

KEY_A = PayloadKey.model_validate({"id": "2026-a", "key": base64.b64encode(b"A" * 32).decode()})
KEY_B = PayloadKey.model_validate({"id": "2027-b", "key": base64.b64encode(b"B" * 32).decode()})


def with_keys(settings: Settings, *keys: PayloadKey) -> Settings:
    """The same settings with these payload keys, oldest first (the last one encrypts)."""
    return settings.model_copy(update={"temporal": settings.temporal.model_copy(
        update={"codec": CodecSettings(keys=list(keys))})})


def production(settings: Settings) -> Settings:
    """A production deployment (ESAME_ENV=prod) on the test's database and Temporal."""
    return Settings(
        env="prod", database_url=settings.database_url, secret_key=settings.secret_key,
        public_base_url=settings.public_base_url, web_base_url="https://app.esame.test",
        data_dir=settings.data_dir,
        temporal=settings.temporal.model_copy(update={"codec": CodecSettings(keys=[KEY_A])}),
        payments=PaymentSettings(sandbox_webhook_secret="w" * 40))


def json_payload(value: Any) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


def as_protobuf_json(*payloads: Payload) -> dict[str, Any]:
    """A codec request body as the Temporal UI and CLI send it."""
    return {"payloads": [
        {"metadata": {k: base64.b64encode(v).decode() for k, v in p.metadata.items()},
         "data": base64.b64encode(p.data).decode()} for p in payloads]}


def from_protobuf_json(body: dict[str, Any]) -> list[Payload]:
    return [Payload(metadata={k: base64.b64decode(v) for k, v in p.get("metadata", {}).items()},
                    data=base64.b64decode(p.get("data", ""))) for p in body["payloads"]]


def payloads_in(message: Message, path: str = "") -> Iterator[tuple[str, Payload]]:
    """Every payload a protobuf message holds, with where it is (`a.b[key].c[0]`)."""
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        here = f"{path}.{descriptor.name}"
        if descriptor.message_type.GetOptions().map_entry:
            if descriptor.message_type.fields_by_name["value"].message_type is None:
                continue
            items = [(f"{here}[{key}]", value[key]) for key in value]
        elif hasattr(value, "append"):
            items = [(f"{here}[{i}]", item) for i, item in enumerate(value)]
        else:
            items = [(here, value)]
        for where, item in items:
            if isinstance(item, Payload):
                yield where, item
            else:
                yield from payloads_in(item, where)
