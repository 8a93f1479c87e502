"""Buttons on the pinned summary."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from fireline.render.incident import ACTION_POST_UPDATE, ACTION_SET_SEVERITY, ACTION_SET_STATUS


def register(app: AsyncApp) -> None:
    @app.action(ACTION_SET_STATUS)
    @app.action(ACTION_SET_SEVERITY)
    @app.action(ACTION_POST_UPDATE)
    async def not_yet(ack: AsyncAck, respond: AsyncRespond, body: dict[str, Any]) -> None:
        # Acked so Slack shows no error; the lifecycle changes arrive with the status issue.
        await ack()
        await respond(
            text="Changing status, severity and posting updates from here is coming next; "
            "until then an operator can do it from the workflow in the Temporal UI.",
            response_type="ephemeral",
            replace_original=False,
        )
