"""The pinned summary's buttons open their forms for the incident the button names; a submission
is checked field by field and sends its change with the view id as the request id."""

from __future__ import annotations

import json
from typing import Any

from temporalio.testing import WorkflowEnvironment

from bot.change_forms import SEVERITY_FORM, STATUS_FORM, UPDATE_FORM
from fireline.render.incident import ACTION_POST_UPDATE, ACTION_SET_SEVERITY, ACTION_SET_STATUS
from fireline.signals import CHANGE_SEVERITY, CHANGE_STATUS
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.incident_changes import opened_form, press, said, select, text
from tests.stack import COMMANDER, REPORTER, fireline_stack


def options(block: dict[str, Any]) -> list[str]:
    return [option["value"] for option in block["element"]["options"]]


async def test_each_button_opens_its_form_for_its_incident(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel(title="Checkout <down>")
        assert incident.channel is not None
        origin = {"incident": incident.incident_id, "channel": incident.channel.id}

        status = await opened_form(stack, ACTION_SET_STATUS, incident)
        severity = await opened_form(stack, ACTION_SET_SEVERITY, incident)
        update = await opened_form(stack, ACTION_POST_UPDATE, incident)

        for form, callback_id in (
            (status, STATUS_FORM),
            (severity, SEVERITY_FORM),
            (update, UPDATE_FORM),
        ):
            assert form["callback_id"] == callback_id
            assert json.loads(form["private_metadata"]) == origin
            about = form["view"]["blocks"][0]["text"]["text"]
            assert about == f"*{incident.reference}* · SEV2 · investigating\nCheckout &lt;down&gt;"
        moves = ["identified", "mitigated", "resolved", "closed"]
        assert options(status["view"]["blocks"][1]) == moves
        assert options(update["view"]["blocks"][2]) == moves
        (levels,) = severity["view"]["blocks"][1:]
        assert options(levels) == ["SEV1", "SEV2", "SEV3", "SEV4"]
        assert levels["element"]["initial_option"]["value"] == "SEV2"


async def test_form_submissions_send_their_change_once(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        status = await opened_form(stack, ACTION_SET_STATUS, incident)
        severity = await opened_form(stack, ACTION_SET_SEVERITY, incident)

        for _ in range(2):  # a redelivered submission changes nothing twice
            response = await stack.slack.view_submission(
                status,
                user_id=COMMANDER,
                values={"status": select("identified"), "note": text("bad deploy\u200b")},
            )
            assert response.status == 200 and response.text == ""
        response = await stack.slack.view_submission(
            severity, user_id=REPORTER, values={"severity": select("SEV1")}
        )
        assert response.status == 200 and response.text == ""

        assert await stack.signals(incident.incident_id) == [
            (
                CHANGE_STATUS,
                {
                    "status": "identified",
                    "note": "bad deploy",
                    "by": COMMANDER,
                    "request_id": status["id"],
                },
            ),
            (CHANGE_SEVERITY, {"severity": "SEV1", "by": REPORTER, "request_id": severity["id"]}),
        ]


async def test_a_submission_with_mistakes_keeps_the_form_open_and_says_why(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        ref = incident.reference
        await stack.command("status mitigated", incident.channel.id)
        await eventually(lambda: said(stack, incident, "to *mitigated*"))
        # Opened while mitigated (so offering a reopen), submitted once it is identified.
        stale = await opened_form(stack, ACTION_SET_STATUS, incident)
        await stack.command("status identified", incident.channel.id)
        await eventually(lambda: said(stack, incident, "*identified*"))
        severity = await opened_form(stack, ACTION_SET_SEVERITY, incident)
        update = await opened_form(stack, ACTION_POST_UPDATE, incident)
        refused_move = (
            f"{ref}: An incident cannot go from identified to investigating. "
            "Allowed from identified: mitigated, resolved, closed."
        )

        cases = [
            (
                stale,
                {"status": select("investigating"), "note": text("x" * 3001)},
                {"status": refused_move, "note": "Keep it to 3000 characters (it has 3001)."},
            ),
            (
                severity,
                {"severity": select("SEV9")},
                {"severity": "Unknown severity `SEV9`. Levels: SEV1, SEV2, SEV3, SEV4."},
            ),
            (
                update,
                {"text": text(" \u200b "), "status": select("investigating")},
                {
                    "text": "Say what changed (letters or digits, not only spaces).",
                    "status": refused_move,
                },
            ),
        ]
        for form, values, errors in cases:
            response = await stack.slack.view_submission(form, user_id=REPORTER, values=values)
            assert response.json == {"response_action": "errors", "errors": errors}

        assert [name for name, _ in await stack.signals(incident.incident_id)] == [
            CHANGE_STATUS,
            CHANGE_STATUS,
        ]


async def test_a_closed_incident_offers_no_status(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        await stack.command("status closed", incident.channel.id)
        await stack.handle(incident.incident_id).result()  # closing ends the workflow

        answered = len(slack.responses())
        await press(stack, ACTION_SET_STATUS, incident)
        (posted,) = await eventually(lambda: slack.responses()[answered:])
        assert posted["body"]["text"] == (
            f"{incident.reference} is closed; a closed incident cannot change."
        )
        update = await opened_form(stack, ACTION_POST_UPDATE, incident)
        assert [block.get("block_id") for block in update["view"]["blocks"]] == [None, "text"]
