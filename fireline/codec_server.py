"""`fireline codec-server`: Temporal's remote codec protocol, so the people allowed to read
incidents see decoded payloads in the Temporal UI and CLI while Temporal itself holds ciphertext.

`POST .../decode` and `POST .../encode` take and return `{"payloads": [...]}` (Payloads in
protobuf JSON); only the last path segment counts, so the endpoint may sit under a prefix such as
`/{namespace}`. Browsers reach it from the Temporal UI's origin only (CORS). With a token set,
every request must carry `Authorization: Bearer <token>`. Payloads are never logged.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload, Payloads

from fireline.encryption import EncryptionCodec, EncryptionKeyError
from fireline.settings import Settings, SettingsError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ALLOWED_HEADERS = "Content-Type, X-Namespace, Authorization"
# A batch may hold several payloads of up to Temporal's 2 MB each; aiohttp's default is 1 MB.
MAX_BODY = 32 * 2**20


def build_codec_app(
    codec: EncryptionCodec, *, origins: list[str], token: str | None
) -> web.Application:
    @web.middleware
    async def cors_and_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        allowed = origin is not None and origin in origins
        if request.method == hdrs.METH_OPTIONS:
            # A preflight carries no credentials: it is answered for the allowed origins only.
            response: web.StreamResponse = web.Response(status=204 if allowed else 403)
        elif token is not None and not _bearer_matches(request, token):
            response = web.json_response({"error": "unauthorized"}, status=401)
        else:
            response = await handler(request)
        if allowed:
            assert origin is not None
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = "POST"
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = ALLOWED_HEADERS
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
        response.headers[hdrs.VARY] = "Origin"
        return response

    async def dispatch(request: web.Request) -> web.StreamResponse:
        action = request.path.rstrip("/").rsplit("/", 1)[-1]
        if action not in ("decode", "encode"):
            raise web.HTTPNotFound()
        if request.method != hdrs.METH_POST:
            raise web.HTTPMethodNotAllowed(request.method, [hdrs.METH_POST])
        try:
            payloads = json_format.Parse(await request.read(), Payloads()).payloads
        except (json_format.ParseError, UnicodeDecodeError):
            return web.json_response({"error": "body must be Payloads as JSON"}, status=400)
        if action == "encode":
            result = await codec.encode(payloads)
        else:
            result = [_decoded_or_as_is(codec, payload) for payload in payloads]
        return web.Response(
            text=json_format.MessageToJson(Payloads(payloads=result)),
            content_type="application/json",
        )

    app = web.Application(middlewares=[cors_and_auth], client_max_size=MAX_BODY)
    app.router.add_route("*", "/{path:.*}", dispatch)
    return app


def _bearer_matches(request: web.Request, token: str) -> bool:
    given = request.headers.get(hdrs.AUTHORIZATION, "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _decoded_or_as_is(codec: EncryptionCodec, payload: Payload) -> Payload:
    """A payload sealed with a key this server lacks stays sealed; the rest of the batch decodes."""
    try:
        return codec.decrypt(payload)
    except EncryptionKeyError:
        return payload


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM."""
    keyring = settings.encryption_keyring()
    if keyring is None:
        raise SettingsError("FIRELINE_ENCRYPTION: off, so there is nothing to decode")
    token = settings.codec_server_token
    host = settings.codec_server_host
    if token is None and not _is_loopback(host):
        raise SettingsError(
            f"CODEC_SERVER_HOST: {host} is reachable from other machines; set CODEC_SERVER_TOKEN"
        )
    app = build_codec_app(
        EncryptionCodec(keyring),
        origins=settings.codec_origins,
        token=token.get_secret_value() if token else None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, host, settings.codec_server_port).start()
    log.info("codec server listening on http://%s:%s", host, settings.codec_server_port)
    await stop.wait()
    await runner.cleanup()
