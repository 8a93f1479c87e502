"""The same change made from Slack and from the Temporal CLI has the same effects: the same
message in the channel, the same summary, search attributes and record rows."""

from __future__ import annotations

import json
import re
from typing import Any

from temporalio.testing import WorkflowEnvironment

from fireline.db.queries import fetch_incident
from fireline.models import IncidentSnapshot
from fireline.search_attributes import INCIDENT_STATUS
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import REPORTER, Stack, cli_signal, fireline_stack
from workflows.incident import IncidentWorkflow

NOTE = "a bad deploy"


def neutral(incident: IncidentSnapshot, text: str) -> str:
    """Blocks with what differs between two incidents (number, ids, links, times) taken out."""
    assert incident.channel is not None
    for own in (incident.channel.id, incident.incident_id, incident.channel.name):
        text = text.replace(own, "<own>")
    text = re.sub(r"<!date\^\d+\^[^|>]*\|[^>]*>", "<date>", text)  # declared moments apart
    return re.sub(rf"\bINC-{incident.number}\b", "INC-n", text)


async def effects(stack: Stack, database_url: str, incident: IncidentSnapshot) -> dict[str, Any]:
    """Everything a status change shows, once it has landed everywhere."""
    assert incident.channel is not None
    handle = stack.handle(incident.incident_id)

    async def applied() -> IncidentSnapshot | None:
        now = await handle.query(IncidentWorkflow.get_incident)
        return now if now.status.value == "identified" else None

    now = await eventually(applied)
    said = await eventually(
        lambda: [
            json.dumps(m["blocks"])
            for m in stack.fake.messages(incident.channel.id)  # type: ignore[union-attr]
            if NOTE in json.dumps(m.get("blocks"))
        ]
    )
    summary = next(m for m in stack.fake.messages(incident.channel.id) if m["ts"] == now.summary_ts)

    async def recorded() -> list[tuple[Any, ...]] | None:
        row = await fetch_incident(database_url, incident.incident_id)
        events = [
            (e["kind"], e["actor_id"], e["old_value"], e["new_value"], e["text"])
            for e in (row or {}).get("timeline", [])
            if e["kind"] != "declared"
        ]
        return events or None

    described = await handle.describe()
    return {
        "said": [neutral(incident, line) for line in said],
        "summary": neutral(incident, json.dumps(summary["blocks"])),
        "status attribute": described.typed_search_attributes.get(INCIDENT_STATUS),
        "rows": await eventually(recorded),
        "timeline length": now.timeline_length,
    }


async def test_a_change_from_the_cli_does_what_the_same_change_from_slack_does(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        from_slack = await stack.declared_in_channel(title="Checkout down")
        from_cli = await stack.declared_in_channel(title="Checkout down")
        assert from_slack.channel is not None

        await stack.command(f"status identified {NOTE}", from_slack.channel.id, REPORTER)
        await cli_signal(
            stack,
            from_cli.incident_id,
            "change_status",
            {"status": "identified", "by": REPORTER, "note": NOTE},
        )

        by_slack = await effects(stack, database_url, from_slack)
        by_cli = await effects(stack, database_url, from_cli)

    assert by_slack == by_cli
    assert by_slack["status attribute"] == "identified"
    assert by_slack["rows"] == [("status_changed", REPORTER, "investigating", "identified", NOTE)]
