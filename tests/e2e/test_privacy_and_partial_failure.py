"""Private incidents stay private; one failing step never sinks the incident."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from fireline.db.queries import fetch_incident
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import ALWAYS, COMMANDER, REPORTER, fireline_stack

POLICY_WITH_ALWAYS_INVITED = f"""
default = "SEV3"
always_invite = ["{ALWAYS}"]

[[levels]]
name = "SEV1"
label = "critical"

[[levels]]
name = "SEV3"
label = "minor"
"""


def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_WITH_ALWAYS_INVITED)
    return path


async def test_public_incident_invites_the_always_invited(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    async with fireline_stack(
        slack, dev_server.client, database_url, severity_policy_file=policy_file(tmp_path)
    ) as stack:
        workflow_id = await stack.declare(severity="SEV1", commander=COMMANDER)
        incident = await stack.declared(workflow_id)

        assert incident.channel is not None
        channel = slack.channel_by_id(incident.channel.id)
        assert channel is not None
        assert set(channel["members"]) == {slack.bot_user_id, REPORTER, COMMANDER, ALWAYS}


async def test_private_incident_stays_private_even_when_creation_fails(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    async with fireline_stack(
        slack, dev_server.client, database_url, severity_policy_file=policy_file(tmp_path)
    ) as stack:
        view = await stack.open_form()
        # Private-channel creation fails for a while, in the ways Slack fails.
        private = {"when": lambda args: args.get("is_private") is True}
        slack.faults.add("conversations.create", kind="http_error", status=503, times=2, **private)
        slack.faults.add(
            "conversations.create", kind="error", error="fatal_error", times=2, **private
        )
        await stack.submit(view, severity="SEV1", commander=COMMANDER, private=True)
        incident = await stack.declared(stack.workflow_id(view), timeout=60)

        creates = slack.calls("conversations.create")
        # Four failures then success (a slow machine may add a retry); every one private.
        assert len(creates) >= 5
        assert all(call.args.get("is_private") is True for call in creates)
        public = [
            c for c in slack.channels() if c["name"].startswith("inc-") and not c["is_private"]
        ]
        assert public == []

        assert incident.channel is not None
        channel = slack.channel_by_id(incident.channel.id)
        assert channel is not None and channel["is_private"]
        # Only the people named in the form, not the policy's always-invited.
        assert set(channel["members"]) == {slack.bot_user_id, REPORTER, COMMANDER}
        assert slack.messages(stack.feed) == []
        assert incident.feed_ts is None
        row = await eventually(lambda: fetch_incident(database_url, stack.workflow_id(view)))
        assert row["private"] is True


async def test_feed_channel_without_the_bot_and_a_deactivated_commander(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    outsider_feed = slack.add_channel("incidents-elsewhere", bot_member=False)
    async with fireline_stack(
        slack, dev_server.client, database_url, slack_feed_channel=outsider_feed
    ) as stack:
        slack.deactivate_user(COMMANDER)
        workflow_id = await stack.declare(commander=COMMANDER)
        incident = await stack.declared(workflow_id)

        assert incident.channel is not None
        channel_id = incident.channel.id
        assert len(stack.tagged(channel_id, workflow_id, "summary")) == 1
        assert slack.pins(channel_id) == [incident.summary_ts]
        assert REPORTER in (slack.channel_by_id(channel_id) or {})["members"]
        assert len(stack.tagged(slack.dm_channel(REPORTER), workflow_id, "reporter_dm")) == 1
        assert await eventually(lambda: fetch_incident(database_url, workflow_id))

        notices = stack.tagged(channel_id, workflow_id, "problems")
        assert len(notices) == 1
        said = str(notices[0]["blocks"])
        assert f"<#{outsider_feed}>" in said and "not a member" in said
        assert f"<@{COMMANDER}>" in said
        # Not invited, not DMed (the commander's own DM), and no feed post: said once each.
        assert len(incident.problems) == 3
        assert f"Could not DM <@{COMMANDER}>: the user is deactivated" in incident.problems
