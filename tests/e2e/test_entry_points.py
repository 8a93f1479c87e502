"""Every way into the declaration form: `/incident` and its subcommands, and both shortcuts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from bot.help import HELP
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import ack_message
from tests.stack import COMMANDER, LOOKER, REPORTER, Stack, fireline_stack

MESSAGE_TEXT = "Checkout returns 500s for everyone since 10:02 <@ULOOKER> *help*"


@pytest.fixture
def trigger_ids(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every trigger_id put into a request to the bot, in order."""
    issued: list[str] = []
    issue = slack.issue_trigger_id

    def recording(user_id: str) -> str:
        issued.append(issue(user_id))
        return issued[-1]

    monkeypatch.setattr(slack, "issue_trigger_id", recording)
    return issued


def blocks_by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {block["block_id"]: block for block in view["blocks"]}


def assert_declaration_modal(view: dict[str, Any], user_id: str) -> None:
    assert view["type"] == "modal" and view["callback_id"] == "declare_incident"
    blocks = blocks_by_id(view)
    assert {"title", "severity", "description", "impact", "commander", "private"} <= set(blocks)
    assert blocks["commander"]["element"]["initial_user"] == user_id


def methods(stack: Stack) -> list[str]:
    return [call.method for call in stack.fake.calls()]


async def test_slash_command_acks_and_opens_the_modal_with_slacks_trigger(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, trigger_ids: list[str]
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        # A slow views.open must not hold up the ack: Slack gives up on an app after 3 seconds.
        slack.faults.add("views.open", kind="latency", seconds=1.0)
        response = await stack.slack.slash_command(
            "/incident", user_id=COMMANDER, channel_id=stack.feed
        )
        assert response.status == 200
        assert not response.text.strip(), response.text  # a bare ack: no message in the channel
        assert slack.calls("views.open") == []  # acked before the modal was opened

        (opened,) = await eventually(lambda: slack.calls("views.open"))

    assert trigger_ids and opened.args["trigger_id"] == trigger_ids[-1]
    assert opened.response is not None and opened.response["ok"], opened.response
    assert_declaration_modal(opened.response["view"], COMMANDER)


async def test_global_shortcut_opens_the_modal(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, trigger_ids: list[str]
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        response = await stack.slack.global_shortcut("declare_incident", user_id=REPORTER)
        assert response.status == 200 and not response.text.strip(), response.text

        (opened,) = await eventually(lambda: slack.calls("views.open"))
        (view,) = slack.views()

    assert opened.args["trigger_id"] == trigger_ids[-1]
    assert view["user"] == REPORTER
    assert_declaration_modal(view["view"], REPORTER)
    assert json.loads(view["private_metadata"]) == {}


async def test_message_shortcut_prefills_the_modal_and_declares_from_the_message(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, trigger_ids: list[str]
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        ts = slack.add_message(stack.feed, MESSAGE_TEXT, user=LOOKER)
        response = await stack.slack.message_shortcut(
            "declare_incident_from_message",
            user_id=REPORTER,
            channel_id=stack.feed,
            message={"ts": ts, "text": MESSAGE_TEXT, "user": LOOKER},
        )
        assert response.status == 200 and not response.text.strip(), response.text

        (updated,) = await eventually(lambda: slack.calls("views.update"))
        (opened,) = slack.calls("views.open")
        (permalink_call,) = slack.calls("chat.getPermalink")
        assert permalink_call.response is not None
        permalink = permalink_call.response["permalink"]
        assert permalink_call.args["channel"] == stack.feed
        assert permalink_call.args["message_ts"] == ts

        # The modal opens first, while the 3-second trigger_id is fresh; the permalink comes after.
        order = methods(stack)
        assert (
            order.index("views.open")
            < order.index("chat.getPermalink")
            < order.index("views.update")
        ), order
        assert opened.args["trigger_id"] == trigger_ids[-1]
        first = opened.response["view"] if opened.response else {}
        first_description = blocks_by_id(first)["description"]["element"]["initial_value"]
        assert first_description == MESSAGE_TEXT

        (view,) = slack.views()
        assert updated.args["view_id"] == view["id"] == first["id"]
        assert updated.args["hash"] == first["hash"]  # no blind overwrite
        assert_declaration_modal(view["view"], REPORTER)
        description = blocks_by_id(view["view"])["description"]["element"]["initial_value"]
        assert description == f"{MESSAGE_TEXT}\n\nFrom: {permalink}"
        assert json.loads(view["private_metadata"]) == {
            "channel_id": stack.feed,
            "ts": ts,
            "permalink": permalink,
        }

        submitted = await stack.submit(
            view, title="Checkout errors", severity="SEV2", description=description
        )
        assert submitted.status == 200 and not submitted.text.strip(), submitted.text
        incident = await stack.declared(stack.workflow_id(view))

        assert incident.declaration.source_permalink == permalink
        assert incident.declaration.description == description
        assert incident.problems == [] and incident.channel is not None
        (summary,) = [
            m for m in slack.messages(incident.channel.id) if m["ts"] == incident.summary_ts
        ]
        bookmarks = {b["title"]: b["link"] for b in slack.bookmarks(incident.channel.id)}
        assert bookmarks["Source message"] == permalink
        assert bookmarks[f"{incident.reference} in Temporal"] == incident.workflow_url

        # The thread the incident started from learns where the response is, once.
        (reply,) = stack.tagged(stack.feed, incident.incident_id, "source_thread")
        assert reply["thread_ts"] == ts
        assert f"<#{incident.channel.id}>" in json.dumps(reply["blocks"])

    links = [
        element["text"]
        for block in summary["blocks"]
        if block["type"] == "context"
        for element in block["elements"]
        if element["type"] == "mrkdwn"
    ]
    assert any(f"<{permalink}|Source message>" in text for text in links), links


async def test_help_answers_in_the_ack(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        response = await stack.slack.slash_command(
            "/incident", text="help", user_id=REPORTER, channel_id=stack.feed
        )
        text, response_type = ack_message(response)
        await barrier(stack)

    assert text == HELP
    assert response_type == "ephemeral"
    assert "/incident help" in text and "Declare incident" in text
    assert slack.messages(stack.feed) == [] and slack.responses() == []


@pytest.mark.parametrize("typed", ["bogus", "bogus extra words"])
async def test_unknown_subcommand_is_named_and_opens_nothing(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, typed: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        response = await stack.slack.slash_command(
            "/incident", text=typed, user_id=REPORTER, channel_id=stack.feed
        )
        text, response_type = ack_message(response)
        await barrier(stack)

    assert response_type == "ephemeral"
    assert "`bogus`" in text and "/incident help" in text
    assert slack.messages(stack.feed) == [] and slack.responses() == []


async def barrier(stack: Stack) -> None:
    """Open the form once more and wait for it: anything the request before had set off in the
    background has happened by then. Only this modal may have been opened."""
    await stack.open_form()
    assert len(stack.fake.calls("views.open")) == 1
