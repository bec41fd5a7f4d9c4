"""The payload codec: every payload E-same sends to Temporal is encrypted with AES-256-GCM.

Workflow and activity inputs and results, signals, updates, queries, failure messages and
summaries all pass through a payload codec before they leave our processes, so Temporal's
history (and whoever can read the cluster, Temporal Cloud's operators included) holds
only ciphertext. Search attributes are indexed by the server and never pass through a
codec: they carry ids and statuses only.

The wire format is the one of Temporal's encryption samples in every SDK (encoding
`binary/encrypted`, the key id in `encryption-key-id`, a 12-byte nonce then the
ciphertext of the serialized payload), so other tools that follow them can read it.
Several keys decrypt; the newest encrypts. A payload that is not encrypted (a history
recorded before the codec) is passed through unchanged on decode.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from core.settings import CodecSettings, PayloadKey

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE = 12
# Proto3 JSON bytes: standard or URL-safe base64, padded or not.
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")


class PayloadCodecError(ValueError):
    """A payload this codec cannot decode (unknown key, tampered data) or bad codec input."""


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise ValueError("the payload codec needs at least one key")
        self._ciphers = {key.id: AESGCM(key.secret()) for key in keys}
        self.key_id = keys[-1].id
        self._key_id_bytes = self.key_id.encode()
        self._encrypting = self._ciphers[self.key_id]

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE)
        sealed = self._encrypting.encrypt(nonce, payload.SerializeToString(), None)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: self._key_id_bytes},
                       data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload  # written before the codec, or never encoded
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadCodecError(f"payload encrypted with key {key_id!r}, not configured")
        try:
            plain = cipher.decrypt(payload.data[:_NONCE], payload.data[_NONCE:], None)
            return Payload.FromString(plain)
        except (InvalidTag, ValueError, DecodeError):
            raise PayloadCodecError(
                f"payload encrypted with key {key_id!r} does not decrypt") from None


def payload_codec(settings: CodecSettings) -> EncryptionCodec | None:
    return EncryptionCodec(settings.keys) if settings.enabled else None


# --- the codec server protocol: Payloads as protobuf JSON ---------------------------------

def payloads_from_json(body: bytes | str) -> list[Payload]:
    """The payloads of a codec request (`{"payloads": [...]}`, protobuf JSON)."""
    try:
        message = json.loads(body)
        if not isinstance(message, dict):
            raise PayloadCodecError("expected an object with a `payloads` list")
        payloads = list(json_format.ParseDict(message, Payloads()).payloads)
        # protobuf's parser decodes base64 leniently (garbage becomes empty bytes)
        for payload in message.get("payloads") or []:
            for value in [payload.get("data", ""), *(payload.get("metadata") or {}).values()]:
                if not _BASE64.fullmatch(value):
                    raise PayloadCodecError(f"not base64: {value[:40]!r}")
        return payloads
    except (ValueError, json_format.ParseError, RecursionError) as err:
        # (json's and base64's errors are ValueErrors, PayloadCodecError as well)
        raise PayloadCodecError(f"not Payloads as protobuf JSON: {err}") from None


def payloads_to_json(payloads: Sequence[Payload]) -> str:
    if not payloads:
        return '{"payloads": []}'
    return json_format.MessageToJson(Payloads(payloads=payloads), indent=None)


async def decode_in_place(codec: PayloadCodec, message: Message) -> None:
    """Decode every payload a message holds (a history, an event), as the Temporal UI does
    through the codec endpoint. Search attributes were never encoded and stay as they are.
    """
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            values = list(value.values())
            if field.message_type.fields_by_name["value"].message_type is None:
                continue
        else:
            values = list(value) if hasattr(value, "append") else [value]
        if not values:
            continue
        if isinstance(values[0], Payload):
            for old, new in zip(values, await codec.decode(values), strict=True):
                if new is not old:
                    old.CopyFrom(new)
        else:
            for child in values:
                await decode_in_place(codec, child)
