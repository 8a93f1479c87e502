"""The postmortem doc and the Jira issue on the time-skipping server: Slack and the record are
stand-ins, the Jira and doc activities are the real ones against the Jira and Notion fakes."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from fireline import signals
from fireline.models import IncidentStatus, TrackingPlan
from tests.fakes.jira import FakeJira
from tests.fakes.notion import FakeNotion
from tests.helpers import eventually
from tests.workflows.test_incident_workflow import FakeActivities
from tests.workflows.tracking_bed import (
    SCHEMA,
    People,
    incident_when,
    kinds,
    running,
    tracked,
)
from workflows.incident.tracking import PRIVATE_NO_DOC, PRIVATE_NO_ISSUE


async def test_declared_sev2_gets_one_doc_and_one_issue_kept_in_step(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked()) as handle:
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
        assert sorted(kinds(incident)) == ["jira_issue", "notion_page"]
        await eventually(lambda: fakes.records and len(fakes.records[-1].links) == 2)
        summaries = [m for m in fakes.messages if m.step == "summary"]
        await eventually(lambda: "Jira FIRE-1" in str([m.blocks for m in fakes.messages]))
        await handle.signal(
            signals.CHANGE_STATUS,
            signals.ChangeStatusInput(status="mitigated", by="UB", note="rolled back"),
        )
        await eventually(lambda: jira.issues()[0]["comments"])
        await eventually(
            lambda: notion.pages()[0]["properties"]["Status"]["select"] == {"name": "mitigated"}
        )
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        result = await handle.result()

    assert result.status is IncidentStatus.CLOSED
    [issue] = jira.issues()
    assert issue["summary"] == "INC-42: Checkout <!channel> down"
    assert issue["comments"][0].startswith(
        "Status: investigating -> mitigated (by name-of-UB): rolled back"
    )
    assert issue["status"] == {"name": "Done"}
    assert len(notion.pages()) == 1
    assert fakes.calls["bookmark"] >= 3  # Temporal, the doc, the issue
    assert summaries  # the summary was posted before being updated with the links


async def test_comments_name_who_made_the_change_each_posted_once(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    """Jira readers cannot resolve Slack ids: a comment names the person as the postmortem's
    timeline does, each person looked up once; while Slack cannot say, the id. The first
    comment's answer is lost: its retry finds it and posts nothing twice."""
    fakes, people = FakeActivities(), People()
    jira.faults.add("issue.comment", kind="drop_after_effect", times=1)
    async with running(time_skipping, fakes, jira, notion, tracked(), people=people) as handle:
        await incident_when(handle, lambda i: len(i.links) == 2)
        changes = [
            (signals.CHANGE_STATUS, signals.ChangeStatusInput(status="identified", by="UB")),
            (signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UB")),
        ]
        for name, change in changes:
            await handle.signal(name, change)
        await eventually(lambda: len(jira.issues()[0]["comments"]) == 2)
        people.reachable = False
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="mitigated", by="UC")
        )
        await time_skipping.sleep(timedelta(minutes=2))  # past the lookup's one minute
        await eventually(lambda: len(jira.issues()[0]["comments"]) == 3)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        await handle.result()

    comments = [c.split("\n")[0] for c in jira.issues()[0]["comments"]]
    assert comments == [
        "Status: investigating -> identified (by name-of-UB)",
        "Severity: SEV2 -> SEV1 (by name-of-UB)",
        "Status: identified -> mitigated (by UC)",
        "Status: mitigated -> closed (by name-of-UB)",
    ]
    assert [c.fault for c in jira.calls("issue.comment")].count("drop_after_effect") == 1
    assert people.asked[0] == ["UB"] and len(people.asked) > 2
    assert all(asked == ["UC"] for asked in people.asked[1:])


async def test_private_incident_makes_nothing_shared(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked(private=True)) as handle:
        incident = await incident_when(handle, lambda i: len(i.left_out) == 2)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        await handle.result()
    assert incident.left_out == [PRIVATE_NO_DOC, PRIVATE_NO_ISSUE]
    assert jira.calls() == [] and notion.calls() == []


async def test_promotion_makes_the_doc_the_new_level_wants(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked("SEV3")) as handle:
        incident = await incident_when(handle, lambda i: i.links)
        assert kinds(incident) == ["jira_issue"] and notion.pages() == []
        await handle.signal(
            signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UB")
        )
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
    assert kinds(incident) == ["jira_issue", "notion_page"]
    assert len(jira.issues()) == 1 and len(notion.pages()) == 1
    await eventually(lambda: any("SEV3 -> SEV1" in c for c in jira.issues()[0]["comments"]))


async def test_a_refused_doc_is_told_once_and_made_once_an_admin_fixes_it(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    database = notion.add_database("Postmortems", SCHEMA, shared=False)
    async with running(time_skipping, fakes, jira, notion, tracked(), database=database) as handle:
        await incident_when(handle, lambda i: kinds(i) == ["jira_issue"])
        await eventually(lambda: [m for m in fakes.messages if m.step == "tracking_refused:doc"])
        await time_skipping.sleep(timedelta(hours=2))  # four more refused tries, on timers
        notion.share(database)
        await time_skipping.sleep(timedelta(minutes=31))
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
    told = [m for m in fakes.messages if m.step == "tracking_refused:doc"]
    assert len(told) == 1 and "shared with the integration" in str(told[0].blocks)
    assert len(notion.calls("databases.retrieve")) >= 5
    assert kinds(incident) == ["jira_issue", "notion_page"] and len(notion.pages()) == 1


async def test_without_integrations_nothing_is_asked(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    input = tracked()
    input.tracking = TrackingPlan()
    async with running(time_skipping, fakes, jira, notion, input) as handle:
        await incident_when(handle, lambda i: i.declaration_complete)
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        incident = await handle.result()
    assert incident.links == [] and incident.left_out == []
    assert jira.calls() == [] and notion.calls() == []


async def test_resolve_fills_the_timeline_and_a_refresh_changes_nothing_twice(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked()) as handle:
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
        doc = next(link for link in incident.links if link.kind == "notion_page")
        await handle.signal(signals.ADD_NOTE, signals.AddNoteInput(text="disk full", by="UB"))
        await time_skipping.sleep(timedelta(minutes=40))
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="resolved", by="UCMD")
        )

        def timeline() -> list[str]:
            text = notion.text(doc.external_id)
            return text[text.index("Timeline") + 1 : text.index("Root cause")]

        lines = await eventually(lambda: len(timeline()) > 1 and timeline())
        # The fill ends with the header, which names the commander.
        await eventually(lambda: "Commander | name-of-UCMD" in notion.text(doc.external_id))
        updates = len(notion.calls("pages.update"))
        writes = len([c for c in notion.calls() if c.verb != "GET"])
        await handle.signal(signals.REFRESH_POSTMORTEM, signals.RefreshPostmortemInput(by="UB"))
        await eventually(lambda: len(notion.calls("pages.update")) > updates)
        after = [c for c in notion.calls() if c.verb != "GET"]
        await handle.signal(
            signals.CHANGE_STATUS, signals.ChangeStatusInput(status="closed", by="UB")
        )
        await handle.result()

    assert "Declared INC-42 (SEV2): Checkout <!channel> down" in lines[0]
    assert "name-of-UREP" in lines[0]
    assert [line.split(" · ", 2)[2] for line in lines[1:]] == [
        "Note: disk full",
        "db latency is up (https://grafana/x)",
        "on it",
        "rolling back",
        "Status investigating -> resolved",
    ]
    assert lines[3].startswith("    ↳ ") and " · bob · " in lines[3]
    assert " · name-of-UCMD · " in lines[5]
    text = notion.text(doc.external_id)
    assert any(line.startswith("Time to resolve | 4") for line in text)
    assert "Commander | name-of-UCMD" in text
    # The refresh read the doc, found the timeline and header already said it, and wrote only
    # the (same) properties again.
    assert [c.operation for c in after[writes:]] == ["pages.update"]


async def test_a_followup_is_opened_linked_said_and_listed(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, tracked()) as handle:
        incident = await incident_when(handle, lambda i: len(i.links) == 2)
        doc = next(link for link in incident.links if link.kind == "notion_page")
        await handle.signal(
            signals.ADD_FOLLOWUP, signals.AddFollowupInput(text="Alert on disk <80%", by="UB")
        )
        incident = await incident_when(handle, lambda i: len(i.links) == 3)
        await eventually(lambda: "FIRE-2" in " ".join(notion.text(doc.external_id)))
        said = [m for m in fakes.messages if m.step.startswith("followup:")]
    parent, followup = jira.issues()
    assert followup["summary"] == "Alert on disk <80%"
    assert parent["links"][0]["outwardIssue"] == {"key": "FIRE-2"}
    assert incident.links[-1].kind == "jira_followup"
    assert "FIRE-2" in str(said[0].blocks) and "&lt;80%" in str(said[0].blocks)
    text = notion.text(doc.external_id)
    listed = text[text.index("Follow-ups") + 1 :]
    assert listed == [f"FIRE-2: Alert on disk <80% ({jira.base_url}/browse/FIRE-2)"]


async def test_followup_and_refresh_refused_without_their_integration(
    time_skipping: WorkflowEnvironment, jira: FakeJira, notion: FakeNotion
) -> None:
    fakes = FakeActivities()
    input = tracked()
    input.tracking = TrackingPlan(doc_backend="notion")
    async with running(time_skipping, fakes, jira, notion, input) as handle:
        await incident_when(handle, lambda i: i.links)
        await handle.signal(signals.ADD_FOLLOWUP, signals.AddFollowupInput(text="x", by="UB"))
        await eventually(lambda: fakes.told)
        private = tracked(private=True)
    assert "Jira is not configured" in fakes.told[0].text
    fakes = FakeActivities()
    async with running(time_skipping, fakes, jira, notion, private) as handle:
        await incident_when(handle, lambda i: i.left_out)
        await handle.signal(signals.REFRESH_POSTMORTEM, signals.RefreshPostmortemInput(by="UB"))
        await eventually(lambda: fakes.told)
    assert "private incident has no postmortem doc" in fakes.told[0].text
