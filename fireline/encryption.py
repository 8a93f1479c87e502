"""Payload encryption: every payload Fireline sends to Temporal is sealed with AES-256-GCM.

Keys come from FIRELINE_ENCRYPTION_KEYS as `id:base64key,...`. The first key encrypts and every key
decrypts, so a new key can be put first while open incidents still hold payloads sealed with the old
one. Each sealed payload names its key id in its metadata. A payload without the encrypted encoding
(written before encryption was turned on) decodes unchanged, so those incidents still replay.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12


class EncryptionKeyError(ValueError):
    """A key list that cannot be used, or a payload no configured key opens. Never quotes a key or
    a payload."""


@dataclass(frozen=True)
class Keyring:
    """Named AES-256 keys; the first one encrypts."""

    keys: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        keys: list[tuple[str, bytes]] = []
        for position, entry in enumerate(text.split(","), start=1):
            key_id, sep, encoded = entry.strip().partition(":")
            if not sep or not key_id:
                raise EncryptionKeyError(f"key {position} must be written id:base64key")
            if key_id in dict(keys):
                raise EncryptionKeyError(f"key id {key_id!r} appears twice")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise EncryptionKeyError(f"key {key_id!r} is not valid base64") from None
            if len(key) != KEY_BYTES:
                raise EncryptionKeyError(f"key {key_id!r} must be {KEY_BYTES} bytes long")
            keys.append((key_id, key))
        return cls(tuple(keys))

    def __repr__(self) -> str:
        return f"Keyring(ids={[key_id for key_id, _ in self.keys]})"


def new_key(key_id: str) -> str:
    """A fresh random key, written as one FIRELINE_ENCRYPTION_KEYS entry."""
    return f"{key_id}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keyring: Keyring) -> None:
        self._encrypt_id, key = keyring.keys[0]
        self._encryptor = AESGCM(key)
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._encryptor.encrypt(nonce, payload.SerializeToString(), None)
        return Payload(
            metadata={"encoding": ENCODING, KEY_ID: self._encrypt_id.encode()},
            data=nonce + sealed,
        )

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise EncryptionKeyError(
                f"payload sealed with key id {key_id!r}, which FIRELINE_ENCRYPTION_KEYS lacks"
            )
        try:
            opened = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], None)
        except InvalidTag:
            raise EncryptionKeyError(
                f"payload does not open with key {key_id!r}: a different key under the same id?"
            ) from None
        return Payload.FromString(opened)
