"""A 2-minute outage of Jira and of the doc backend (Notion or Confluence) on the time-skipping
server, with the real tracking activities against the fakes: the incident goes on meanwhile, the
creates are retried all through the outage, and once it ends there is exactly one doc and one
issue, both linked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from fireline import signals
from fireline.models import IncidentStatus
from tests.fakes.confluence import FakeConfluence
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion
from tests.helpers import eventually
from tests.workflows.test_incident_workflow import FakeActivities
from tests.workflows.tracking_bed import Handle, incident_when, kinds, running, tracked
from workflows.incident import IncidentWorkflow

OUTAGE = timedelta(minutes=2)
ENSURES = ("ensure_jira_issue", "ensure_postmortem_doc")


async def retrying(handle: Handle) -> dict[str, tuple[int, timedelta]]:
    """The ensure activities still pending: the attempt each is on, and how long (workflow time)
    from its scheduling to its latest attempt's start."""
    described = await handle.describe()
    return {
        pending.activity_type.name: (
            pending.attempt,
            pending.last_started_time.ToDatetime() - pending.scheduled_time.ToDatetime(),
        )
        for pending in described.raw_description.pending_activities
        if pending.activity_type.name in ENSURES
    }


@pytest.mark.parametrize("backend", ["notion", "confluence"])
async def test_a_two_minute_outage_still_makes_one_doc_and_one_issue(
    time_skipping: WorkflowEnvironment,
    jira: FakeJira,
    notion: FakeNotion,
    confluence: FakeConfluence,
    backend: str,
) -> None:
    docs = notion if backend == "notion" else confluence
    create = "pages.create" if backend == "notion" else "content.create"
    outages = [(fake, fake.faults.add("*", kind="outage")) for fake in (jira, docs)]
    fakes = FakeActivities()
    input = tracked("SEV1", doc_backend=backend)
    async with running(time_skipping, fakes, jira, docs, input) as handle:
        declared = await incident_when(handle, lambda i: i.declaration_complete)
        await time_skipping.sleep(OUTAGE / 2)
        # The incident goes on: a change made during the outage is applied and said.
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UB")
        )
        await incident_when(handle, lambda i: i.status is IncidentStatus.IDENTIFIED)
        await eventually(lambda: any("identified" in str(m.blocks) for m in fakes.messages))
        await time_skipping.sleep(OUTAGE / 2)
        assert await time_skipping.get_current_time() - declared.declared_at >= OUTAGE
        during = await retrying(handle)
        failed = {fake: len(fake.calls()) for fake, _ in outages}
        assert (await handle.query(IncidentWorkflow.get_incident)).links == []
        for fake, rule in outages:
            fake.faults.remove(rule)
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
        await eventually(lambda: jira.issues()[0]["comments"])
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        closed = await handle.result()

    # Both ensures were retried all through the outage, never given up: each is still pending
    # after two minutes, on its 8th attempt, its last failed one started a minute or more after
    # the first; each attempt met the outage on its first call (a find, before any create).
    assert set(during) == set(ENSURES)
    for attempt, span in during.values():
        assert attempt >= 7 and span >= OUTAGE / 2
    for fake, count in failed.items():
        assert count >= 6 and all(c.fault == "outage" for c in fake.calls()[:count])
    # Once it ended: one doc, one issue, each created once, linked, recorded and kept in step.
    assert sorted(kinds(incident)) == sorted(["jira_issue", f"{backend}_page"])
    assert len(jira.issues()) == 1 and len(jira.calls("issue.create")) == 1
    assert len(docs.calls(create)) == 1
    assert len(notion.pages() if backend == "notion" else confluence.pages("OPS")) == 1
    assert sorted(kinds(closed)) == sorted(kinds(incident))
    assert len(fakes.records[-1].links) == 2
    [issue] = jira.issues()
    assert issue["comments"][0].startswith("Status: investigating -> identified")
    assert issue["status"] == {"name": "Done"}
