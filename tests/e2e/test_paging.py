"""Paging on-call end to end: the real worker and bot on the dev server, the real `pagerduty`
client talking TLS to the PagerDuty fake, and the Slack fake. Whatever fails on the way, an
incident has exactly one open alert while it is unresolved."""

from __future__ import annotations

import json
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr
from temporalio.testing import WorkflowEnvironment

from fireline.db.queries import fetch_incident
from fireline.models import IncidentSnapshot
from tests.fakes.pagerduty import API_TOKEN, ROUTING_KEY, Alert, FakePagerDuty
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.incident_changes import said
from tests.stack import Stack, fireline_stack, worker_process


def paging_settings(pagerduty: FakePagerDuty, routing_key: str = ROUTING_KEY) -> dict[str, Any]:
    return {
        "pagerduty_routing_key": SecretStr(routing_key),
        "pagerduty_events_url": pagerduty.base_url,
    }


@asynccontextmanager
async def paging_stack(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
    **overrides: Any,
) -> AsyncIterator[Stack]:
    settings = {**paging_settings(pagerduty), **overrides}
    async with fireline_stack(slack, dev_server.client, database_url, **settings) as stack:
        yield stack


async def one_alert(pagerduty: FakePagerDuty, incident: IncidentSnapshot) -> Alert:
    """The incident's one alert, once PagerDuty has it."""
    (alert,) = await eventually(lambda: pagerduty.alerts(incident.incident_id))
    return alert


async def statuses(pagerduty: FakePagerDuty, incident: IncidentSnapshot, *want: str) -> None:
    async def probe() -> bool:
        return [alert.status for alert in pagerduty.alerts(incident.incident_id)] == list(want)

    await eventually(probe, timeout=30)


async def test_a_sev1_is_paged_once_resolved_and_reopened(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    async with paging_stack(slack, pagerduty, dev_server, database_url) as stack:
        incident = await stack.declared_in_channel(title="Payments <down>", severity="SEV1")
        assert incident.channel is not None
        alert = await one_alert(pagerduty, incident)
        assert alert.status == "triggered" and alert.dedup_key == incident.incident_id
        (trigger,) = alert.events
        payload = trigger["payload"]
        assert payload["summary"] == f"{incident.reference}: Payments <down>"
        assert payload["severity"] == "critical" and payload["source"] == "fireline"
        assert payload["custom_details"]["title"] == "Payments <down>"
        assert [link["href"] for link in trigger["links"]] == [
            incident.channel.url,
            incident.workflow_url,
        ]

        await stack.command("status resolved", incident.channel.id)
        await statuses(pagerduty, incident, "resolved")
        await stack.command("status identified", incident.channel.id)
        await statuses(pagerduty, incident, "resolved", "triggered")
    assert len(pagerduty.enqueued()) == 3


async def test_promotion_pages_once_and_demotion_does_not_unpage(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    async with paging_stack(slack, pagerduty, dev_server, database_url) as stack:
        incident = await stack.declared_in_channel(severity="SEV3")
        assert incident.channel is not None
        await stack.command("severity SEV1", incident.channel.id)
        await one_alert(pagerduty, incident)
        await stack.command("severity SEV3", incident.channel.id)
        await stack.command("severity SEV2", incident.channel.id)
        await eventually(lambda: said(stack, incident, "SEV2"))
        await stack.command("note demoted and promoted", incident.channel.id)
        await eventually(lambda: said(stack, incident, "demoted and promoted"))
    (alert,) = pagerduty.alerts(incident.incident_id)
    assert alert.status == "triggered" and len(alert.events) == 1


async def test_a_private_incident_is_paged_without_its_title(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    async with paging_stack(slack, pagerduty, dev_server, database_url) as stack:
        workflow_id = await stack.declare(title="Secret merger leak", severity="SEV1", private=True)
        incident = await stack.declared(workflow_id)
        alert = await one_alert(pagerduty, incident)
    assert alert.summary == f"{incident.reference}: private incident"
    assert "merger" not in str(alert.events).lower()


async def test_429s_5xx_and_lost_answers_still_make_one_alert(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    pagerduty.faults.add("enqueue", kind="ratelimited", times=2)
    pagerduty.faults.add("enqueue", kind="http_error", status=502, times=1)
    pagerduty.faults.add("enqueue", kind="drop_after_effect", times=2)
    async with paging_stack(slack, pagerduty, dev_server, database_url) as stack:
        incident = await stack.declared_in_channel(severity="SEV1")
        await eventually(lambda: len(pagerduty.enqueued()) == 6, timeout=60)
        alert = await one_alert(pagerduty, incident)
    assert alert.status == "triggered" and len(alert.events) == 3  # two lost answers, one heard
    assert [call.status for call in pagerduty.enqueued()] == [429, 429, 502, 0, 0, 202]
    assert not said(stack, incident, "not paged")


async def test_a_worker_killed_right_after_the_trigger_makes_one_alert(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    overrides = paging_settings(pagerduty)
    async with fireline_stack(
        slack, dev_server.client, database_url, run_worker=False, **overrides
    ) as stack:
        env = {
            "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "PAGERDUTY_EVENTS_URL": pagerduty.base_url,
            "SSL_CERT_FILE": str(pagerduty.ca_file),
        }
        pagerduty.hold_answers()  # PagerDuty acts, its answer waits: the kill lands between
        worker = worker_process(stack, **env)
        try:
            workflow_id = await stack.declare(severity="SEV1")
            await eventually(lambda: pagerduty.alerts(workflow_id), timeout=30)
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL
            pagerduty.release_answers()
            worker = worker_process(stack, **env)
            # The attempt the kill cut short times out, and its retry sends the trigger again.
            await eventually(lambda: len(pagerduty.enqueued()) == 2, timeout=60)
            incident = await stack.declared(workflow_id, timeout=60)
        finally:
            worker.kill()
            worker.wait()
    (alert,) = pagerduty.alerts(incident.incident_id)
    assert alert.status == "triggered" and len(alert.events) == 2


async def test_a_wrong_routing_key_is_reported_once(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    wrong = paging_settings(pagerduty, routing_key="0123456789abcdef0123456789abcdef")
    async with paging_stack(slack, pagerduty, dev_server, database_url, **wrong) as stack:
        incident = await stack.declared_in_channel(severity="SEV1")
        assert incident.channel is not None
        (refusal,) = await eventually(lambda: said(stack, incident, "not paged"))
        await stack.command("status resolved", incident.channel.id)
        await stack.command("status identified", incident.channel.id)
        await eventually(lambda: len(pagerduty.enqueued()) == 2)
        await stack.command("note after the second refusal", incident.channel.id)
        await eventually(lambda: said(stack, incident, "after the second refusal"))
    assert "Invalid routing key" in refusal and "PAGERDUTY_ROUTING_KEY" in refusal
    assert len(said(stack, incident, "not paged")) == 1
    assert pagerduty.alerts() == []


async def test_who_is_on_call_is_invited_dmed_or_listed_and_recorded(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    pagerduty.add_user("PADA", "Ada Oncall", "ada@example.com")
    pagerduty.add_user("PCY", "Cy Contractor", "cy@elsewhere.example")
    pagerduty.add_user("POFF", "Otto Offduty", "otto@example.com")
    pagerduty.put_on_call("PADA", "PEP1")
    pagerduty.put_on_call("PCY", "PEP1", level=2)
    pagerduty.put_on_call("POFF", "PEPOTHER")  # another team's policy
    lookup = {
        "pagerduty_api_token": SecretStr(API_TOKEN),
        "pagerduty_escalation_policy_ids": "PEP1",
        "pagerduty_api_url": pagerduty.base_url,
    }
    async with paging_stack(slack, pagerduty, dev_server, database_url, **lookup) as stack:
        slack.add_user("UADA", "ada", email="ada@example.com")
        slack.add_user("UOTTO", "otto", email="otto@example.com")
        incident = await stack.declared_in_channel(severity="SEV1")
        assert incident.channel is not None
        channel = slack.channel_by_id(incident.channel.id)
        assert channel is not None and "UADA" in channel["members"]
        assert "UOTTO" not in channel["members"]
        dm = slack.dm_channel("UADA")
        assert dm is not None
        (why,) = await eventually(lambda: slack.messages(dm))
        assert "You are on call" in json.dumps(why["blocks"])
        (unmapped,) = said(stack, incident, "not found in Slack")
        assert "Cy Contractor (cy@elsewhere.example)" in unmapped

        async def recorded() -> dict[str, Any] | None:
            row = await fetch_incident(database_url, incident.incident_id)
            kinds = {event["kind"] for event in row["timeline"]} if row else set()
            return row if {"oncall_paged", "oncall_invited"} <= kinds else None

        row = await eventually(recorded, timeout=30)
    (invited,) = [event for event in row["timeline"] if event["kind"] == "oncall_invited"]
    assert invited["new_value"] == "UADA" and "Cy Contractor" in invited["text"]
    assert slack.calls("users.lookupByEmail")


async def test_incident_page_pages_a_level_that_did_not(
    slack: FakeSlack,
    pagerduty: FakePagerDuty,
    dev_server: WorkflowEnvironment,
    database_url: str,
) -> None:
    async with paging_stack(slack, pagerduty, dev_server, database_url) as stack:
        incident = await stack.declared_in_channel(severity="SEV3")
        assert incident.channel is not None
        assert pagerduty.enqueued() == []
        shown, _ = await stack.command("page", incident.channel.id)
        assert shown == f"Asked {incident.reference} to page on-call."
        alert = await one_alert(pagerduty, incident)
        await eventually(lambda: said(stack, incident, "asked to page on-call"))
    assert alert.events[0]["payload"]["severity"] == "warning"
