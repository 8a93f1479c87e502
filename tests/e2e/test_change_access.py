"""Who may change what: a private incident only from its own channel; an incident that does not
exist, has ended or cannot be reached gets a clear ephemeral answer, never silence."""

from __future__ import annotations

import json
from typing import Any

from temporalio.testing import WorkflowEnvironment

from bot.incident_context import PRIVATE_ELSEWHERE
from bot.refusal import UNREACHABLE
from fireline.render.incident import ACTION_SET_SEVERITY, ACTION_SET_STATUS
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.incident_changes import opened_form, select
from tests.stack import COMMANDER, LOOKER, REPORTER, Stack, fireline_stack, running_worker
from workflows.counter import counter_workflow_id


async def press_elsewhere(stack: Stack, action_id: str, workflow_id: str) -> dict[str, Any]:
    """Press a summary button naming `workflow_id` on a message in the feed channel (a summary
    forwarded there, or a forged value); returns the ephemeral the bot answered with."""
    ts = stack.fake.add_message(stack.feed, "forwarded summary", user=LOOKER)
    answered = len(stack.fake.responses())
    response = await stack.slack.block_actions(
        actions=[{"type": "button", "action_id": action_id, "value": workflow_id}],
        user_id=LOOKER,
        channel_id=stack.feed,
        message={"ts": ts, "text": "forwarded summary"},
    )
    assert response.status == 200 and response.text == ""
    (posted,) = await eventually(lambda: stack.fake.responses()[answered:])
    assert posted["body"]["response_type"] == "ephemeral"
    assert posted["body"]["replace_original"] is False
    return dict(posted["body"])


async def test_a_private_incident_changes_only_from_its_own_channel(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel(commander=COMMANDER, private=True)
        assert incident.channel is not None

        answer = await press_elsewhere(stack, ACTION_SET_STATUS, incident.incident_id)
        assert answer["text"] == PRIVATE_ELSEWHERE
        assert incident.reference not in answer["text"]
        assert len(slack.views()) == 1  # the declaration's only

        # In its own channel the form opens; a submission claiming another origin is refused.
        form = await opened_form(stack, ACTION_SET_SEVERITY, incident)
        elsewhere = {
            **form,
            "private_metadata": json.dumps(
                {"incident": incident.incident_id, "channel": stack.feed}
            ),
        }
        elsewhere["view"] = {**form["view"], "private_metadata": elsewhere["private_metadata"]}
        response = await stack.slack.view_submission(
            elsewhere, user_id=REPORTER, values={"severity": select("SEV1")}
        )
        assert response.json == {
            "response_action": "errors",
            "errors": {"severity": PRIVATE_ELSEWHERE},
        }
        assert await stack.signals(incident.incident_id) == []


async def test_a_button_naming_no_incident_says_so(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        await stack.declared_in_channel()  # the counter workflow exists from here on
        counter = counter_workflow_id(stack.settings.temporal_task_queue)
        for workflow_id in (f"incident-{slack.team_id}-VGONE<x>", counter):
            answer = await press_elsewhere(stack, ACTION_SET_STATUS, workflow_id)
            shown = workflow_id.replace("<", "&lt;").replace(">", "&gt;")
            assert answer["text"] == f"Fireline knows no incident `{shown}`; nothing changed."
        assert len(slack.views()) == 1


async def test_an_incident_that_cannot_answer_is_said_to_be_unreachable(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        async with running_worker(dev_server.client, stack.settings, database_url):
            incident = await stack.declared_in_channel()
        assert incident.channel is not None
        # No worker answers the incident's query now; Slack still gets its answer in time.
        shown, _ = await stack.command("status identified", incident.channel.id)
        assert shown == UNREACHABLE
        assert await stack.signals(incident.incident_id) == []


async def test_an_incident_that_has_ended_cannot_change(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        await stack.handle(incident.incident_id).terminate(reason="test: the incident ended")

        shown, _ = await stack.command("note too late", incident.channel.id)
        assert shown == f"{incident.reference} is over; it cannot change."
