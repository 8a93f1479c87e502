"""`/incident` changes: a mistake in what was typed is answered in the acknowledgement itself; a
change is acknowledged before the channel's incident is looked up (Slack waits 3 s for the ack,
and the lookup asks Temporal twice), then checked against it and answered ephemerally."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bot.incident_context import ChannelIncident
from bot.incident_lookup import IncidentLookup, IncidentRef
from bot.refusal import Refused
from bot.subcommands import SUBCOMMANDS, CommandRequest, Services
from fireline.models import IncidentSnapshot, IncidentStatus
from tests.bot.test_change_checks import POLICY, incident


class Person:
    def __init__(self) -> None:
        self.acked: list[dict[str, Any]] = []
        self.told: list[dict[str, Any]] = []

    async def ack(self, **kwargs: Any) -> None:
        self.acked.append(kwargs)

    async def respond(self, **kwargs: Any) -> None:
        self.told.append(kwargs)


class Lookup(IncidentLookup):
    """Temporal's answers, noting whether the person had their ack when it was asked."""

    def __init__(self, person: Person, incident_id: str = "incident-T-V1") -> None:
        self.person = person
        self.incident_id = incident_id
        self.acked_first: list[bool] = []
        self.queried: list[str] = []

    async def by_channel(self, channel_id: str | None) -> IncidentRef | None:
        self.acked_first.append(bool(self.person.acked))
        return IncidentRef(self.incident_id, 7)

    async def snapshot(self, workflow_id: str) -> IncidentSnapshot:
        self.queried.append(workflow_id)
        return incident(IncidentStatus.INVESTIGATING)


def request(
    person: Person, lookup: IncidentLookup, name: str, args: str, temporal: Client | None = None
) -> CommandRequest:
    command = {"user_id": "UB", "channel_id": "C7", "trigger_id": "T1"}
    return CommandRequest(
        person.ack,
        person.respond,
        None,  # type: ignore[arg-type]  # no Slack call: nothing opens a form here
        command,
        name,
        args,
        ChannelIncident(lookup, "C7"),
        Services(temporal, POLICY, "fireline"),  # type: ignore[arg-type]  # None: nothing is sent
    )


async def test_a_change_is_acknowledged_before_its_incident_is_looked_up() -> None:
    person = Person()
    lookup = Lookup(person)
    await SUBCOMMANDS["status"].run(request(person, lookup, "status", "bogus"))

    assert lookup.acked_first == [True] and person.acked == [{}]
    (told,) = person.told
    assert told["response_type"] == "ephemeral"
    assert "Unknown status `bogus`" in told["text"] and "identified" in told["text"]


@pytest.mark.parametrize("typed", ["", "soon", "0m", "25h"])
async def test_a_bad_snooze_is_answered_in_the_ack(typed: str) -> None:
    person = Person()
    lookup = Lookup(person)
    with pytest.raises(Refused, match="from a minute to 24 hours"):
        await SUBCOMMANDS["snooze"].run(request(person, lookup, "snooze", typed))
    assert lookup.acked_first == [False] and person.acked == [] and person.told == []


async def test_a_change_that_needs_only_the_incident_is_sent_without_asking_its_state(
    dev_server: WorkflowEnvironment,
) -> None:
    """Severity, roles, notes...: the workflow judges them; only a status move is checked first,
    against the incident's state (a query the incident answers between its own tasks)."""
    client = dev_server.client
    # Not run by any worker: the server takes its signals all the same.
    handle = await client.start_workflow(
        "IncidentWorkflow", id=f"incident-{uuid.uuid4()}", task_queue="nobody-runs-this"
    )
    person = Person()
    lookup = Lookup(person, handle.id)
    try:
        await SUBCOMMANDS["severity"].run(
            request(person, lookup, "severity", "sev1", temporal=client)
        )
        assert lookup.queried == []
        assert person.told == [
            {"text": "Asked INC-7 to become SEV1.", "response_type": "ephemeral"}
        ]
        signals = [
            event.workflow_execution_signaled_event_attributes.signal_name
            async for event in handle.fetch_history_events()
            if event.HasField("workflow_execution_signaled_event_attributes")
        ]
        assert signals == ["change_severity"]

        await SUBCOMMANDS["status"].run(request(person, lookup, "status", "bogus"))
        assert lookup.queried == [handle.id]
    finally:
        await handle.terminate()
