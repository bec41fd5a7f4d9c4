"""The payload codec on its own: AES-256-GCM, the key id on each payload, rotation, and
payloads older than the codec read as they are."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import History

from core.payload_codec import (
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    PayloadCodecError,
    decode_in_place,
)
from tests.codec.support import KEY_A, KEY_B, json_payload

SECRET = {"email": "awa.ndiaye@example.com", "symptom": "fever"}


async def test_a_payload_is_sealed_with_the_newest_key_and_names_it() -> None:
    codec = EncryptionCodec([KEY_A])
    (sealed,) = await codec.encode([json_payload(SECRET)])
    assert sealed.metadata["encoding"] == ENCODING
    assert sealed.metadata[KEY_ID] == b"2026-a"
    assert b"awa" not in sealed.SerializeToString() and b"fever" not in sealed.data
    assert await codec.decode([sealed]) == [json_payload(SECRET)]
    (again,) = await codec.encode([json_payload(SECRET)])
    assert again.data != sealed.data  # a fresh nonce each time


async def test_after_rotation_the_new_key_encrypts_and_both_decrypt() -> None:
    (old,) = await EncryptionCodec([KEY_A]).encode([json_payload(SECRET)])
    rotated = EncryptionCodec([KEY_A, KEY_B])
    assert rotated.key_id == "2027-b"
    (new,) = await rotated.encode([json_payload(SECRET)])
    assert new.metadata[KEY_ID] == b"2027-b"
    assert await rotated.decode([old, new]) == [json_payload(SECRET)] * 2
    with pytest.raises(PayloadCodecError, match="2027-b"):
        await EncryptionCodec([KEY_A]).decode([new])  # a key dropped too early


async def test_clear_payloads_of_older_histories_pass_through() -> None:
    clear = [json_payload("recorded before the codec"), Payload(metadata={
        "encoding": b"binary/null"})]
    assert await EncryptionCodec([KEY_A]).decode(clear) == clear


async def test_a_tampered_payload_does_not_decrypt() -> None:
    codec = EncryptionCodec([KEY_A])
    (sealed,) = await codec.encode([json_payload(SECRET)])
    for data in (sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]), sealed.data[:5], b""):
        broken = Payload(metadata=dict(sealed.metadata), data=data)
        with pytest.raises(PayloadCodecError, match="does not decrypt"):
            await codec.decode([broken])
    # Another key's ciphertext under our key's id: the tag does not match either.
    (foreign,) = await EncryptionCodec([KEY_B]).encode([json_payload(SECRET)])
    foreign.metadata[KEY_ID] = b"2026-a"
    with pytest.raises(PayloadCodecError):
        await codec.decode([foreign])


async def test_a_history_decodes_in_place_but_its_search_attributes_stay() -> None:
    codec = EncryptionCodec([KEY_A])
    history = History()
    event = history.events.add()
    started = event.workflow_execution_started_event_attributes
    started.input.payloads.append(codec.encrypt(json_payload(SECRET)))
    started.search_attributes.indexed_fields["EsameStatus"].CopyFrom(
        json_payload("account_active"))
    event.user_metadata.summary.CopyFrom(codec.encrypt(json_payload("Account of ES-1")))
    await decode_in_place(codec, history)
    assert list(started.input.payloads) == [json_payload(SECRET)]
    assert started.search_attributes.indexed_fields["EsameStatus"] == json_payload(
        "account_active")
    assert event.user_metadata.summary == json_payload("Account of ES-1")
