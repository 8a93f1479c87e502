"""The codec server over HTTP on loopback, as the Temporal UI and CLI call it."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from fireline.codec_server import build_codec_app, serve
from fireline.encryption import EncryptionCodec, Keyring
from fireline.settings import Settings, SettingsError

KEYS = f"k1:{base64.b64encode(b'1' * 32).decode()}"
OTHER_KEYS = f"k9:{base64.b64encode(b'9' * 32).decode()}"
UI = "http://localhost:8233"
TOKEN = "codec-token"
MARKER = b"quokkalantern"


def plain(text: bytes = MARKER) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=b'"' + text + b'"')


def body(*payloads: Payload) -> str:
    return json_format.MessageToJson(Payloads(payloads=payloads))


def parsed(text: str) -> list[Payload]:
    return list(json_format.Parse(text, Payloads()).payloads)


class Codec:
    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url, self.http = url, http

    async def post(self, path: str, data: str, **headers: str) -> tuple[int, str, Any]:
        headers = {"Content-Type": "application/json", "X-Namespace": "default", **headers}
        async with self.http.post(self.url + path, data=data, headers=headers) as response:
            return response.status, await response.text(), response.headers


@pytest.fixture
async def codec(request: pytest.FixtureRequest) -> AsyncIterator[Codec]:
    token = getattr(request, "param", None)
    app = build_codec_app(EncryptionCodec(Keyring.parse(KEYS)), origins=[UI], token=token)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield Codec(f"http://127.0.0.1:{runner.addresses[0][1]}", http)
    finally:
        await runner.cleanup()


async def sealed(keys: str, payload: Payload) -> Payload:
    (result,) = await EncryptionCodec(Keyring.parse(keys)).encode([payload])
    return result


async def test_encode_then_decode_round_trip(codec: Codec) -> None:
    status, text, _ = await codec.post("/encode", body(plain()))
    assert status == 200
    (encoded,) = parsed(text)
    assert encoded.metadata["encoding"] == b"binary/encrypted" and MARKER not in encoded.data

    # Only the last path segment counts: `--codec-endpoint http://host/{namespace}` works too.
    status, text, _ = await codec.post("/default/decode", body(encoded))
    assert status == 200
    assert parsed(text) == [plain()]


async def test_it_decodes_only_what_it_can_decrypt(codec: Codec) -> None:
    ours = await sealed(KEYS, plain(b"ours"))
    foreign = await sealed(OTHER_KEYS, plain(b"theirs"))

    status, text, _ = await codec.post("/decode", body(ours, foreign, plain(b"old")))

    assert status == 200
    assert parsed(text) == [plain(b"ours"), foreign, plain(b"old")]


async def test_a_body_that_is_not_payloads_is_a_400(codec: Codec) -> None:
    status, _, _ = await codec.post("/decode", "not json")
    assert status == 400


@pytest.mark.parametrize("codec", [TOKEN], indirect=True)
async def test_with_a_token_requests_without_it_get_401(codec: Codec) -> None:
    request = body(await sealed(KEYS, plain()))
    assert (await codec.post("/decode", request))[0] == 401
    assert (await codec.post("/decode", request, Authorization="Bearer wrong"))[0] == 401
    assert (await codec.post("/encode", body(plain())))[0] == 401

    status, text, _ = await codec.post("/decode", request, Authorization=f"Bearer {TOKEN}")
    assert status == 200 and parsed(text) == [plain()]


@pytest.mark.parametrize("codec", [TOKEN], indirect=True)
async def test_cors_preflight_is_answered_for_the_ui_origin_only(codec: Codec) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-namespace,authorization",
    }
    async with codec.http.options(
        codec.url + "/decode", headers={"Origin": UI, **preflight}
    ) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == UI
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert {"content-type", "x-namespace", "authorization"} <= {
            name.strip() for name in allowed.split(",")
        }
    async with codec.http.options(
        codec.url + "/decode", headers={"Origin": "https://evil.example", **preflight}
    ) as response:
        assert response.status == 403
        assert "Access-Control-Allow-Origin" not in response.headers

    status, _, headers = await codec.post(
        "/decode", body(plain()), Origin=UI, Authorization=f"Bearer {TOKEN}"
    )
    assert status == 200 and headers["Access-Control-Allow-Origin"] == UI


async def test_payloads_never_reach_the_log(codec: Codec, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    encoded = parsed((await codec.post("/encode", body(plain())))[1])
    await codec.post("/decode", body(*encoded))
    await codec.post("/decode", '{"payloads": [{"data": "' + MARKER.decode() + '"}]}')

    assert MARKER.decode() not in caplog.text
    assert base64.b64encode(MARKER).decode() not in caplog.text


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "codec.internal"])
async def test_a_non_loopback_address_without_a_token_is_refused(host: str) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, fireline_encryption_keys=KEYS, codec_server_host=host
    )
    with pytest.raises(SettingsError, match=f"^CODEC_SERVER_HOST: {host} is reachable"):
        await serve(settings)


async def test_a_batch_larger_than_a_megabyte_decodes(codec: Codec) -> None:
    big = [await sealed(KEYS, plain(b"x" * 900_000)) for _ in range(2)]
    status, text, _ = await codec.post("/decode", body(*big))
    assert status == 200 and parsed(text) == [plain(b"x" * 900_000)] * 2
