"""Payload encryption: what a sealed payload looks like, key rotation, payloads from before
encryption, and keys that cannot open a payload."""

from __future__ import annotations

import base64
import logging

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter

from fireline.encryption import ENCODING, KEY_ID, EncryptionCodec, EncryptionKeyError, Keyring
from fireline.settings import Settings, SettingsError
from fireline.temporal import data_converter


def key(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * 32).decode()


OLD = f"old:{key(1)}"
NEW = f"new:{key(2)}"
SECRET_TEXT = b'{"title": "Payroll export leaked"}'


def plain() -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=SECRET_TEXT)


async def seal(keys: str, payload: Payload) -> Payload:
    (sealed,) = await EncryptionCodec(Keyring.parse(keys)).encode([payload])
    return sealed


async def open_(keys: str, payload: Payload) -> Payload:
    (opened,) = await EncryptionCodec(Keyring.parse(keys)).decode([payload])
    return opened


async def test_a_sealed_payload_names_its_key_and_hides_its_content() -> None:
    sealed = await seal(OLD, plain())

    assert dict(sealed.metadata) == {"encoding": ENCODING, KEY_ID: b"old"}
    assert b"Payroll" not in sealed.data
    assert await open_(OLD, sealed) == plain()
    assert (await seal(OLD, plain())).data != sealed.data  # a fresh nonce every time


async def test_rotation_the_first_key_encrypts_and_every_key_decrypts() -> None:
    before_rotation = await seal(OLD, plain())
    rotated = f"{NEW},{OLD}"

    assert await open_(rotated, before_rotation) == plain()
    after_rotation = await seal(rotated, plain())
    assert after_rotation.metadata[KEY_ID] == b"new"
    assert await open_(f"{NEW}", after_rotation) == plain()


async def test_a_payload_from_before_encryption_decodes_unchanged() -> None:
    assert await open_(NEW, plain()) == plain()


async def test_a_key_that_cannot_open_a_payload_fails_loudly() -> None:
    sealed = await seal(OLD, plain())

    with pytest.raises(EncryptionKeyError, match="key id 'old', which FIRELINE_ENCRYPTION_KEYS"):
        await open_(NEW, sealed)
    with pytest.raises(EncryptionKeyError, match="does not open with key 'old'"):
        await open_(f"old:{key(3)}", sealed)


@pytest.mark.parametrize(
    ("keys", "says"),
    [
        ("k1", "key 1 must be written id:base64key"),
        (f":{key(1)}", "key 1 must be written id:base64key"),
        (f"{OLD},k2:not base64!", "key 'k2' is not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "key 'k1' must be 32 bytes long"),
        (f"{OLD},{OLD}", "key id 'old' appears twice"),
    ],
)
def test_a_wrong_key_list_is_refused_without_quoting_it(keys: str, says: str) -> None:
    with pytest.raises(EncryptionKeyError) as caught:
        Keyring.parse(keys)
    assert str(caught.value) == says
    assert key(1) not in repr(Keyring.parse(OLD))


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def test_the_converter_encrypts_payloads_and_failure_messages() -> None:
    converter = data_converter(settings(fireline_encryption_keys=OLD))

    (payload,) = await converter.encode(["Payroll export leaked"])
    assert payload.metadata["encoding"] == ENCODING
    # Error messages can quote what people typed: they travel sealed, as payloads.
    failure = Failure()
    await converter.encode_failure(RuntimeError("Payroll export leaked"), failure)
    assert failure.message == "Encoded failure"
    assert b"Payroll" not in failure.SerializeToString()
    assert "Payroll export leaked" in str(await converter.decode_failure(failure))


def test_without_a_key_the_converter_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^FIRELINE_ENCRYPTION_KEYS: required"):
        data_converter(settings())
    with pytest.raises(SettingsError, match=r"^FIRELINE_ENCRYPTION: off, yet"):
        data_converter(settings(fireline_encryption="off", fireline_encryption_keys=OLD))


def test_encryption_off_is_said_out_loud(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        converter = data_converter(settings(fireline_encryption="off"))
    assert converter is pydantic_data_converter
    assert "FIRELINE_ENCRYPTION=off" in caplog.text
