"""`/incident <subcommand>` in an incident's channel sends the change to its workflow, by whom and
with the command's trigger_id as the request id; mistakes are answered at once with the valid
choices; outside an incident's channel the changes are refused and `/incident list` lists the
open incidents."""

from __future__ import annotations

import json
from typing import Any

from temporalio.testing import WorkflowEnvironment

from bot.change_forms import UPDATE_FORM
from fireline.signals import ADD_NOTE, ASSIGN_ROLE, CHANGE_SEVERITY, CHANGE_STATUS, POST_UPDATE
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.incident_changes import said
from tests.stack import COMMANDER, LOOKER, REPORTER, fireline_stack
from workflows.incident import IncidentWorkflow


async def test_change_commands_send_their_change(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        ref = incident.reference
        cases: list[tuple[str, str, str, dict[str, Any], str]] = [
            (
                "status identified",
                REPORTER,
                CHANGE_STATUS,
                {"status": "identified", "note": ""},
                f"Asked {ref} to move to identified.",
            ),
            (
                "status Mitigated rolled back &amp; watching",
                COMMANDER,
                CHANGE_STATUS,
                {"status": "mitigated", "note": "rolled back & watching"},
                f"Asked {ref} to move to mitigated.",
            ),
            (
                "severity sev1",
                REPORTER,
                CHANGE_SEVERITY,
                {"severity": "SEV1"},
                f"Asked {ref} to become SEV1.",
            ),
            (
                f"role comms <@{COMMANDER}|carl>",
                REPORTER,
                ASSIGN_ROLE,
                {"role": "comms", "user": COMMANDER},
                f"Asked {ref} to make <@{COMMANDER}> its comms.",
            ),
            (
                f"role Tech_Lead <@{REPORTER}>",
                COMMANDER,
                ASSIGN_ROLE,
                {"role": "tech_lead", "user": REPORTER},
                f"Asked {ref} to make <@{REPORTER}> its tech_lead.",
            ),
            (
                "note failover &lt;done&gt;, ask <@UCOMMANDER|carl>",
                REPORTER,
                ADD_NOTE,
                {"text": "failover <done>, ask @carl"},
                f"Asked {ref} to add your note.",
            ),
        ]
        expected = []
        for text, user_id, signal, fields, told in cases:
            shown, command = await stack.command(text, incident.channel.id, user_id)
            assert shown == told, text
            expected.append(
                (signal, {**fields, "by": user_id, "request_id": command["trigger_id"]})
            )

        assert await stack.signals(incident.incident_id) == expected

        async def changed() -> bool:
            now = await stack.handle(incident.incident_id).query(IncidentWorkflow.get_incident)
            return now.timeline_length == 1 + len(cases)  # declared, then each change

        await eventually(changed)
        now = await stack.handle(incident.incident_id).query(IncidentWorkflow.get_incident)
        assert (now.status, now.severity.name) == ("mitigated", "SEV1")
        assert now.roles["comms"] == COMMANDER and now.roles["tech_lead"] == REPORTER


async def test_a_redelivered_command_is_one_signal(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        told, command = await stack.command("status identified", incident.channel.id)
        moved = f"moved *{incident.reference}* from investigating to *identified*"
        await eventually(lambda: said(stack, incident, moved))
        # Delivered again once the incident is identified: answered as the first delivery was.
        assert told == f"Asked {incident.reference} to move to identified."
        assert await stack.shown(command) == told

        (signal,) = await stack.signals(incident.incident_id)
        assert signal[1]["request_id"] == command["trigger_id"]
        assert len(said(stack, incident, moved)) == 1


async def test_mistakes_are_answered_with_the_choices_and_change_nothing(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        ref = incident.reference
        moves = f"{ref} is investigating; it can move to: identified, mitigated, resolved, closed."
        roles = "Roles: commander, comms, tech_lead."
        answers = {
            "status": f"Which status? {moves}",
            "status fixed": f"Unknown status `fixed`. {moves}",
            "severity": "Which severity? Levels: SEV1, SEV2, SEV3, SEV4.",
            "severity SEV9 &lt;x&gt;": "Unknown severity `SEV9 &lt;x&gt;`. Levels: SEV1, SEV2, "
            "SEV3, SEV4.",
            "role": f"Which role? {roles}",
            f"role boss <@{COMMANDER}>": f"Unknown role `boss`. {roles}",
            "role comms": "Pick the person with an @-mention from Slack's list: "
            "`/incident role comms @person`.",
            "role comms @carl": "Pick the person with an @-mention from Slack's list (`@carl` is "
            "not one): `/incident role comms @person`.",
            "note": "Write the note after the command: `/incident note <text>`.",
            "note " + "x" * 3001: "Keep the note to 3000 characters (it has 3001).",
            "fr&lt;b&gt; now": "Unknown subcommand `fr&lt;b&gt;`. In an incident's channel: "
            "status, severity, role, update, note, snooze, followup, postmortem, page; anywhere: "
            "list, help, new. "
            "See `/incident help`.",
        }
        for text, answer in answers.items():
            shown, _ = await stack.command(text, incident.channel.id)
            assert shown == answer, text

        assert await stack.signals(incident.incident_id) == []
        # A mistake in what was typed is answered in the ack; one only the incident can judge,
        # after the ack, through the command's response_url.
        judged = [response["body"]["text"] for response in slack.responses()]
        assert judged == [answers["status"], answers["status fixed"]]


async def test_a_move_is_refused_at_once_and_a_change_to_what_is_judged_by_the_workflow(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        ref = incident.reference

        # Only the workflow knows whether this is news or a redelivery: it answers.
        shown, _ = await stack.command("status investigating", incident.channel.id)
        assert shown == f"Asked {ref} to move to investigating."
        (told,) = await eventually(lambda: slack.ephemerals(incident.channel.id))
        assert told["user"] == REPORTER
        assert told["text"] == (
            f":no_entry_sign: {ref}: The incident is already investigating. Allowed from "
            "investigating: identified, mitigated, resolved, closed."
        )

        await stack.command("status identified", incident.channel.id)
        await eventually(lambda: said(stack, incident, "to *identified*"))
        shown, _ = await stack.command("status investigating", incident.channel.id)
        assert shown == (
            f"{ref}: An incident cannot go from identified to investigating. "
            "Allowed from identified: mitigated, resolved, closed."
        )
        assert len(await stack.signals(incident.incident_id)) == 2


async def test_changes_outside_an_incident_channel_say_where_to_run_them(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url, run_worker=False) as stack:
        for name in ("status", "severity", "role", "update", "note"):
            shown, _ = await stack.command(f"{name} anything", stack.feed, LOOKER)
            assert shown == (
                f"`/incident {name}` changes an incident, so it runs in that incident's channel, "
                "and this channel is not one. Run it there; `/incident list` shows the open "
                "incidents and their channels."
            )
        assert slack.views() == []

        shown, _ = await stack.command("list", stack.feed, LOOKER)
        assert shown == "No open incidents. `/incident` declares one."


async def test_list_shows_open_public_incidents_most_severe_first(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        minor = await stack.declared_in_channel(title="Search slow", severity="SEV3")
        major = await stack.declared_in_channel(title="Checkout down", severity="SEV1")
        secret = await stack.declared_in_channel(
            title="Breach", severity="SEV1", commander=COMMANDER, private=True
        )
        second_major = await stack.declared_in_channel(
            title="Payments down", severity="SEV1", commander=COMMANDER
        )

        def line(incident: Any, severity: str, commander: str) -> str:
            return (
                f"• *{incident.reference}* · {severity} · investigating · <@{commander}> · "
                f"<#{incident.channel.id}>"
            )

        closed = await stack.declared_in_channel(title="Old", severity="SEV1")
        assert closed.channel is not None
        await stack.command("status closed", closed.channel.id)
        await stack.handle(closed.incident_id).result()  # closing ends the workflow
        # An incident whose channel Slack has not created (yet) is listed too.
        slack.faults.add("conversations.create", kind="error", error="restricted_action")
        waiting = await stack.declare(severity="SEV2")
        await eventually(lambda: slack.calls("conversations.create")[-1].response["ok"] is False)

        async def visible() -> list[str]:
            query = f"WorkflowId = '{waiting}'"
            return [wf.id async for wf in stack.temporal.list_workflows(query)]

        await eventually(visible)

        shown, _ = await stack.command("list", stack.feed, LOOKER)
        number = (await stack.handle(waiting).query(IncidentWorkflow.get_incident)).number
        assert shown.splitlines() == [
            "*Open incidents* (private ones are not listed):",
            line(major, "SEV1", REPORTER),
            line(second_major, "SEV1", COMMANDER),
            f"• *INC-{number}* · SEV2 · investigating · <@{REPORTER}> · channel not created yet",
            line(minor, "SEV3", REPORTER),
        ]
        assert secret.reference not in shown and closed.reference not in shown


async def test_update_opens_its_form_and_the_submission_posts_the_update(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        incident = await stack.declared_in_channel()
        assert incident.channel is not None
        opened = len(slack.views())
        response = await stack.slack.slash_command(
            "/incident",
            text="update db is back &amp; fine",
            user_id=COMMANDER,
            channel_id=incident.channel.id,
        )
        assert response.status == 200 and response.text == ""
        (form,) = await eventually(lambda: slack.views()[opened:])
        assert form["callback_id"] == UPDATE_FORM
        assert json.loads(form["private_metadata"]) == {
            "incident": incident.incident_id,
            "channel": incident.channel.id,
        }
        text, status = form["view"]["blocks"][1:]
        assert text["element"]["initial_value"] == "db is back & fine"
        assert [o["value"] for o in status["element"]["options"]] == [
            "identified",
            "mitigated",
            "resolved",
            "closed",
        ]

        values = {
            "text": {"value": {"type": "plain_text_input", "value": "DB is back, watching."}},
            "status": {
                "value": {"type": "static_select", "selected_option": {"value": "mitigated"}}
            },
        }
        for _ in range(2):  # a redelivery changes nothing twice
            submitted = await stack.slack.view_submission(form, user_id=COMMANDER, values=values)
            assert submitted.status == 200 and submitted.text == ""

        await eventually(
            lambda: said(stack, incident, f"*Update on {incident.reference}* (mitigated)")
        )
        assert await stack.signals(incident.incident_id) == [
            (
                POST_UPDATE,
                {
                    "text": "DB is back, watching.",
                    "status": "mitigated",
                    "by": COMMANDER,
                    "request_id": form["id"],
                },
            )
        ]
