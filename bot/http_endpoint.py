"""The HTTP endpoint Slack posts to. The signature is checked on the raw bytes before anything
parses them, so a forged or garbled request costs one HMAC and gets a bare 401."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from fireline.telemetry.health import Health

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


def http_app(app: AsyncApp, signing_secret: str, health: Health) -> web.Application:
    verifier = SignatureVerifier(signing_secret)

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        if not _is_signed(verifier, raw, request):
            log.warning(
                "refused %s from %s: missing, stale or wrong signature", EVENTS_PATH, request.remote
            )
            return web.Response(status=401)
        try:
            # Bolt parses the body and reads its context from it here.
            bolt_request = AsyncBoltRequest(
                body=raw.decode(), query=request.query_string, headers=dict(request.headers)
            )
        # Not JSON (ValueError), or JSON of a shape Slack never sends (the others).
        except (ValueError, LookupError, TypeError, AttributeError) as err:
            log.warning("refused a signed request with a malformed body: %s", err)
            return web.Response(status=400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", health.handle)
    return web_app


def _is_signed(verifier: SignatureVerifier, raw: bytes, request: web.Request) -> bool:
    try:
        return verifier.is_valid_request(raw, request.headers)
    # A timestamp that is not a number, or a body that is not UTF-8: neither was signed by Slack.
    except ValueError:
        return False
