"""Paging on-call from the incident workflow, on the time-skipping server with stand-in
activities: when the alert is triggered and resolved, what it says, and what the channel is told
when PagerDuty refuses or does not answer for minutes."""

from __future__ import annotations

from datetime import timedelta

from temporalio.testing import WorkflowEnvironment

from activities.pagerduty_types import OnCallPerson
from fireline import signals
from fireline.models import DeclareIncidentInput, IncidentStatus, PagingPlan
from tests.helpers import eventually
from tests.workflows.test_changes import incident_when, running, severities
from tests.workflows.test_incident_workflow import FakeActivities, declare_input


def at_level(name: str, *, private: bool = False) -> DeclareIncidentInput:
    input = declare_input(private=private)
    assert input.policy is not None
    level = input.policy.level(name)
    assert level is not None
    input.severity = level
    input.declaration.severity = name
    return input


def notes(fakes: FakeActivities, step: str) -> list[str]:
    return [str(m.blocks) for m in fakes.messages if m.step == step and m.channel == "C42"]


async def status(handle: object, to: str, by: str = "UBOB") -> None:
    await handle.signal(  # type: ignore[attr-defined]
        signals.CHANGE_STATUS, signals.ChangeStatusInput(status=to, by=by)
    )


async def test_a_paging_level_triggers_once_and_resolve_and_reopen_follow(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True)
    input = at_level("SEV1")
    async with running(time_skipping, fakes, input) as handle:
        await eventually(lambda: len(fakes.pages) == 1)
        (trigger,) = fakes.pages
        await status(handle, "resolved")
        await eventually(lambda: len(fakes.pages) == 2)
        await status(handle, "identified", by="UCAROL")
        await eventually(lambda: len(fakes.pages) == 3)
        await status(handle, "closed")
        await handle.result()

    assert [page.action for page in fakes.pages] == ["trigger", "resolve", "trigger", "resolve"]
    assert {page.dedup_key for page in fakes.pages} == {input.incident_id}
    assert trigger.summary == "INC-42: Checkout <!channel> down"
    assert trigger.severity == "critical"
    assert trigger.custom_details["title"] == "Checkout <!channel> down"
    assert trigger.custom_details["severity"] == "SEV1 (critical)"
    assert [link.text for link in trigger.links] == [
        "Incident channel in Slack",
        "INC-42 in Temporal",
    ]
    paged = [
        (e.kind, e.actor_id) for e in fakes.events if e.kind in {"oncall_paged", "page_resolved"}
    ]
    assert paged == [
        ("oncall_paged", "UREP"),
        ("page_resolved", "UBOB"),
        ("oncall_paged", "UCAROL"),
        ("page_resolved", "UBOB"),
    ]


async def test_a_level_that_does_not_page_sends_nothing(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True)
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await status(handle, "resolved")
        await incident_when(handle, lambda incident: incident.status is IncidentStatus.RESOLVED)
    assert fakes.page_attempts == []


async def test_promotion_pages_once_and_demotion_never_unpages(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True)
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await severities(handle, "SEV1", "SEV3", "SEV2")
        await incident_when(handle, lambda incident: incident.severity.name == "SEV2")
        await eventually(lambda: len(fakes.events) >= 4)
    (trigger,) = fakes.pages
    assert trigger.action == "trigger" and trigger.severity == "critical"
    assert [e.actor_id for e in fakes.events if e.kind == "oncall_paged"] == ["UBOB"]


async def test_a_private_incident_is_paged_without_its_title(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True)
    async with running(time_skipping, fakes, at_level("SEV1", private=True)):
        await eventually(lambda: fakes.pages)
    (trigger,) = fakes.pages
    assert trigger.summary == "INC-42: private incident"
    assert "Checkout" not in trigger.model_dump_json()
    assert trigger.custom_details["private"] is True


async def test_a_refused_page_is_said_once_with_what_to_fix(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(page_refused=True)
    async with running(time_skipping, fakes, at_level("SEV1")) as handle:
        await eventually(lambda: notes(fakes, "page_refused"))
        await status(handle, "resolved")
        await status(handle, "identified")  # reopened: paged again, refused again
        await eventually(lambda: len(fakes.page_attempts) == 2)
        await eventually(lambda: len(notes(fakes, "page_refused")) == 2)

    first, again = (m for m in fakes.messages if m.step == "page_refused")
    assert first.ts is None and again.ts is not None  # the one message, kept up to date
    assert "PAGERDUTY_ROUTING_KEY" in notes(fakes, "page_refused")[0]
    assert "On-call was not paged" in notes(fakes, "page_refused")[0]
    assert not [e for e in fakes.events if e.kind == "oncall_paged"]


async def test_a_page_not_accepted_for_minutes_says_nobody_was_woken(
    time_skipping: WorkflowEnvironment,
) -> None:
    # About ten failed attempts: past the two-minute notice, then accepted.
    fakes = FakeActivities(paging_on=True, page_failures=10)
    async with running(time_skipping, fakes, at_level("SEV1")):
        await time_skipping.sleep(timedelta(minutes=10))
        await eventually(lambda: fakes.pages)
        await eventually(lambda: len(notes(fakes, "page_delayed")) == 2)

    delayed, through = notes(fakes, "page_delayed")
    assert "Nobody has been woken yet" in delayed
    assert "accepted the page" in through
    assert len(fakes.pages) == 1 and len(fakes.page_attempts) == 11


async def test_without_paging_set_up_nothing_is_said(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities(paging_on=False)
    async with running(time_skipping, fakes, at_level("SEV1")) as handle:
        await eventually(lambda: fakes.page_attempts)
        await status(handle, "resolved")
        await incident_when(handle, lambda incident: incident.status is IncidentStatus.RESOLVED)
    assert len(fakes.page_attempts) == 1  # the trigger found paging off; no resolve follows
    assert not [m for m in fakes.messages if m.step.startswith("page_")]
    assert not [e for e in fakes.events if e.kind == "oncall_paged"]


ONCALL = [
    OnCallPerson(pagerduty_id="PA", name="Ada", email="ada@example.com"),
    OnCallPerson(pagerduty_id="PB", name="Bo", email="bo@example.com"),
    OnCallPerson(pagerduty_id="PC", name="Cy Contractor", email="cy@elsewhere.example"),
]
SLACK = {"ada@example.com": "UADA", "bo@example.com": "UBO"}


async def test_who_is_on_call_is_invited_dmed_or_listed_once(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True, oncall=ONCALL, slack_emails=SLACK)
    async with running(time_skipping, fakes, at_level("SEV2")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(
            signals.CHANGE_SEVERITY, signals.ChangeSeverityInput(severity="SEV1", by="UBOB")
        )
        await incident_when(handle, lambda incident: incident.severity.name == "SEV1")

    assert fakes.calls["find_oncall"] == 1
    assert [invite.user_ids for invite in fakes.invites if "UADA" in invite.user_ids] == [
        ["UADA", "UBO"]
    ]
    assert sorted(m.channel for m in fakes.messages if m.step == "oncall_dm") == ["UADA", "UBO"]
    (unmapped,) = notes(fakes, "oncall_unmapped")
    assert "Cy Contractor (cy@elsewhere.example)" in unmapped and "Ada" not in unmapped
    (event,) = [e for e in fakes.events if e.kind == "oncall_invited"]
    assert event.actor_id == "UREP" and event.new == "UADA,UBO"
    assert "<@UADA>, <@UBO>" in event.text and "Cy Contractor" in event.text


async def test_changes_do_not_wait_for_an_oncall_lookup_pagerduty_does_not_answer(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True, oncall_down=True)
    async with running(time_skipping, fakes, at_level("SEV1")) as handle:
        await status(handle, "mitigated")
        incident = await incident_when(
            handle, lambda incident: incident.status is IncidentStatus.MITIGATED
        )
    assert incident.declaration_complete and fakes.calls["find_oncall"] >= 1
    assert len(fakes.pages) == 1  # paged all the same


async def test_a_private_incident_invites_nobody_on_call(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True, oncall=ONCALL, slack_emails=SLACK)
    async with running(time_skipping, fakes, at_level("SEV1", private=True)) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
    assert fakes.calls["find_oncall"] == 0
    assert not [m for m in fakes.messages if m.step.startswith("oncall")]


async def test_page_pages_a_level_that_did_not_and_is_refused_when_already_paged(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=True, oncall=ONCALL, slack_emails=SLACK)
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(signals.PAGE_ONCALL, signals.PageOncallInput(by="UBOB"))
        await eventually(lambda: fakes.pages)
        await eventually(lambda: [e for e in fakes.events if e.kind == "oncall_paged"])
        await handle.signal(signals.PAGE_ONCALL, signals.PageOncallInput(by="UCAROL"))
        await eventually(lambda: fakes.told)

    (trigger,) = fakes.pages
    assert trigger.severity == "warning"  # SEV3, the third level
    assert "<@UBOB> asked to page on-call" in str(notes(fakes, "event:1"))
    assert [e.actor_id for e in fakes.events if e.kind == "oncall_paged"] == ["UBOB"]
    assert fakes.calls["find_oncall"] == 1
    (told,) = fakes.told
    assert told.user == "UCAROL" and "already paged" in told.text


async def test_page_says_when_paging_is_not_set_up(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities(paging_on=False)
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(signals.PAGE_ONCALL, signals.PageOncallInput(by="UBOB"))
        (off,) = await eventually(lambda: notes(fakes, "paging_off"))
    assert "PAGERDUTY_ROUTING_KEY" in off and "nobody was paged" in off


async def test_a_deployment_without_pagerduty_spends_no_activity_on_it(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(paging_on=False)
    input = at_level("SEV1")
    input.paging = PagingPlan(events=False, oncall=False)
    async with running(time_skipping, fakes, input) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await handle.signal(signals.PAGE_ONCALL, signals.PageOncallInput(by="UBOB"))
        (off,) = await eventually(lambda: notes(fakes, "paging_off"))
        await status(handle, "resolved")
        await incident_when(handle, lambda incident: incident.status is IncidentStatus.RESOLVED)
    assert "PAGERDUTY_ROUTING_KEY" in off
    assert not fakes.page_attempts and fakes.calls["find_oncall"] == 0


async def test_page_is_refused_for_a_resolved_incident(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities(paging_on=True)
    async with running(time_skipping, fakes, at_level("SEV3")) as handle:
        await incident_when(handle, lambda incident: incident.declaration_complete)
        await status(handle, "resolved")
        await handle.signal(signals.PAGE_ONCALL, signals.PageOncallInput(by="UBOB"))
        (told,) = await eventually(lambda: fakes.told)
    assert "reopen it first" in told.text and fakes.page_attempts == []
