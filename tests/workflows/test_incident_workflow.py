"""IncidentWorkflow's decisions on the time-skipping server, with activities replaced by functions
registered under the same names: what runs for private incidents, what is given up and reported,
and that the record lands after the database comes back."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.pagerduty_errors import REFUSED
from activities.pagerduty_types import (
    OnCallInput,
    OnCallPerson,
    OnCallResult,
    PageInput,
    PageResult,
)
from activities.records import NUMBER_TAKEN
from activities.types import (
    ArchiveChannelInput,
    BookmarkInput,
    CreateChannelInput,
    CreateStatusChannelInput,
    DescribeChannelInput,
    FindUsersInput,
    FoundUsers,
    InviteInput,
    MessageResult,
    PinInput,
    RenameChannelInput,
    StepResult,
    TellUserInput,
    UpsertMessageInput,
)
from fireline import search_attributes
from fireline.models import (
    ChannelRef,
    Declaration,
    DeclareIncidentInput,
    IncidentSnapshot,
    RecordInput,
    RenumberInput,
    TimelineEvent,
)
from fireline.policy import load_policy
from tests.helpers import eventually
from workflows.incident import IncidentWorkflow
from workflows.incident.record import FIRST_RECORD_WAIT


class FakeActivities:
    """Stand-ins recording what the workflow asked for."""

    def __init__(
        self,
        *,
        record_failures: int = 0,
        bookmark_fails: bool = False,
        pin_fails: bool = False,
        channel_refusals: int = 0,
        taken_numbers: frozenset[int] = frozenset(),
        page_failures: int = 0,
        page_refused: bool = False,
        paging_on: bool = False,
        oncall: list[OnCallPerson] | None = None,
        oncall_down: bool = False,
        slack_emails: dict[str, str] | None = None,
        status_channel_gate: asyncio.Event | None = None,
        summary_in_task_hangs: int = 0,
    ) -> None:
        self.calls: Counter[str] = Counter()
        self.messages: list[UpsertMessageInput] = []
        self.channels: list[CreateChannelInput] = []
        self.renames: list[RenameChannelInput] = []
        self.invites: list[InviteInput] = []
        self.records: list[IncidentSnapshot] = []
        self.events: list[TimelineEvent] = []
        self.told: list[TellUserInput] = []
        self.archived: list[str] = []
        self._record_failures = record_failures
        # Numbers the record holds for other incidents.
        self._taken_numbers = taken_numbers
        self._channel_refusals = channel_refusals
        self._bookmark_fails = bookmark_fails
        # Set: creating the status channel waits for it (Slack slow to make it).
        self._status_channel_gate = status_channel_gate
        self._pin_fails = pin_fails
        # Slack does not answer this many summary updates tried in the workflow task (a local
        # activity), the first ones.
        self._summary_in_task_hangs = summary_in_task_hangs
        # The steps run as local activities, in order.
        self.local_steps: list[str] = []
        # When (workflow time) each step was scheduled, by step name.
        self.scheduled: dict[str, datetime] = {}
        # PagerDuty: every event attempt, the accepted ones, and how the stand-in answers.
        self.page_attempts: list[PageInput] = []
        self.pages: list[PageInput] = []
        self._page_failures = page_failures
        self._oncall_down = oncall_down
        self._page_refused = page_refused
        self._paging_on = paging_on
        # None: the on-call lookup is off.
        self._oncall = oncall
        self._slack_emails = slack_emails or {}

    def all(self) -> list[object]:
        @activity.defn(name="create_incident_channel")
        async def create_channel(input: CreateChannelInput) -> ChannelRef:
            self.channels.append(input)
            if len(self.channels) <= self._channel_refusals:
                raise ApplicationError(
                    "the workspace does not let the bot create channels",
                    type="SlackNotPermitted",
                    non_retryable=True,
                )
            return ChannelRef(id="C42", name="inc-42-x", url="https://fake/archives/C42")

        @activity.defn(name="create_status_channel")
        async def create_status_channel(input: CreateStatusChannelInput) -> ChannelRef:
            self.calls["status_channel"] += 1
            if self._status_channel_gate is not None:
                await self._status_channel_gate.wait()
            name = f"inc-{input.number}-status"
            return ChannelRef(id="CSTATUS", name=name, url="https://fake/archives/CSTATUS")

        @activity.defn(name="rename_incident_channel")
        async def rename_channel(input: RenameChannelInput) -> ChannelRef:
            self.renames.append(input)
            name = f"inc-{input.number}-x"
            return ChannelRef(id=input.channel_id, name=name, url="https://fake/archives/C42")

        @activity.defn(name="describe_channel")
        async def describe(input: DescribeChannelInput) -> None:
            self.calls["topic"] += 1

        @activity.defn(name="upsert_message")
        async def upsert(input: UpsertMessageInput) -> MessageResult:
            if activity.info().is_local:
                self.local_steps.append(input.step)
                if input.step == "summary" and self._summary_in_task_hangs > 0:
                    self._summary_in_task_hangs -= 1
                    await asyncio.Event().wait()  # until the worker gives up on the attempt
            self.messages.append(input)
            self.scheduled.setdefault(input.step, activity.info().scheduled_time)
            if input.step == "feed":
                return MessageResult(problem="the bot is not a member of that channel")
            return MessageResult(
                channel=input.channel,
                ts=f"1.{len(self.messages)}",
                pin_failed=input.pin and self._pin_fails,
            )

        @activity.defn(name="pin_message")
        async def pin(input: PinInput) -> StepResult:
            self.calls["pin"] += 1
            if self._pin_fails:
                raise RuntimeError("pins are down")
            return StepResult()

        @activity.defn(name="add_bookmark")
        async def bookmark(input: BookmarkInput) -> None:
            self.calls["bookmark"] += 1
            if self._bookmark_fails:
                raise RuntimeError("bookmarks are down")

        @activity.defn(name="invite_members")
        async def invite(input: InviteInput) -> StepResult:
            self.invites.append(input)
            return StepResult(problems=["Could not invite <@UGONE>: the user is deactivated"])

        @activity.defn(name="record_changes")
        async def record(input: RecordInput) -> None:
            self.calls["record"] += 1
            if self.calls["record"] <= self._record_failures:
                raise ConnectionError("database is down")
            if input.incident.number in self._taken_numbers:
                raise ApplicationError("number taken", type=NUMBER_TAKEN, non_retryable=True)
            self.records.append(input.incident)
            self.events += input.events

        @activity.defn(name="tell_user")
        async def tell(input: TellUserInput) -> StepResult:
            self.told.append(input)
            return StepResult()

        @activity.defn(name="archive_channel")
        async def archive(input: ArchiveChannelInput) -> None:
            self.calls["archive"] += 1
            self.archived.append(input.channel_id)

        @activity.defn(name="renumber_incident")
        async def renumber(input: RenumberInput) -> int:
            return input.taken + 1

        @activity.defn(name="send_page")
        async def send_page(input: PageInput) -> PageResult:
            self.page_attempts.append(input)
            if self._page_refused:
                raise ApplicationError(
                    "PagerDuty answered 400 (Invalid routing key): check PAGERDUTY_ROUTING_KEY",
                    type=REFUSED,
                    non_retryable=True,
                )
            if len(self.page_attempts) <= self._page_failures:
                raise ConnectionError("PagerDuty is unreachable")
            if self._paging_on:
                self.pages.append(input)
            return PageResult(sent=self._paging_on)

        @activity.defn(name="find_oncall")
        async def find_oncall(input: OnCallInput) -> OnCallResult:
            self.calls["find_oncall"] += 1
            if self._oncall_down:
                raise ConnectionError("PagerDuty's REST API does not answer")
            if self._oncall is None:
                return OnCallResult(configured=False)
            return OnCallResult(configured=True, people=self._oncall)

        @activity.defn(name="find_users_by_email")
        async def find_users(input: FindUsersInput) -> FoundUsers:
            return FoundUsers(
                user_ids={
                    e: self._slack_emails[e] for e in input.emails if e in self._slack_emails
                },
                missing=[e for e in input.emails if e not in self._slack_emails],
            )

        return [
            create_channel,
            create_status_channel,
            rename_channel,
            describe,
            upsert,
            pin,
            bookmark,
            invite,
            record,
            tell,
            archive,
            renumber,
            send_page,
            find_oncall,
            find_users,
        ]


def declare_input(*, private: bool = False) -> DeclareIncidentInput:
    policy = load_policy()
    level = policy.level("SEV2")
    assert level is not None
    return DeclareIncidentInput(
        incident_id=f"incident-{uuid.uuid4()}",
        number=42,
        declaration=Declaration(
            title="Checkout <!channel> down",
            severity="SEV2",
            reporter_id="UREP",
            commander_id="UCMD",
            private=private,
        ),
        severity=level,
        always_invite=["UALWAYS"],
        feed_channel="CFEED",
        temporal_ui_url="http://localhost:8233",
        declared_at=datetime.now(UTC),
        policy=policy,
    )


async def run_declaration(
    env: WorkflowEnvironment, fakes: FakeActivities, input: DeclareIncidentInput
) -> IncidentSnapshot:
    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        env.client, task_queue=queue, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        handle = await env.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
        )

        # Past every best-effort step's 15-minute budget (and channel retry timers), skipped.
        await env.sleep(timedelta(minutes=20))

        async def declared() -> IncidentSnapshot | None:
            incident = await handle.query(IncidentWorkflow.get_incident)
            return incident if incident.problems and fakes.records else None

        return await eventually(declared)


async def test_problems_are_reported_once_and_the_rest_completes(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(bookmark_fails=True)
    incident = await run_declaration(time_skipping, fakes, declare_input())

    assert incident.number == 42
    assert incident.channel is not None and incident.channel.id == "C42"
    assert incident.summary_ts is not None
    # The bookmark was retried for its whole budget (15 skipped minutes), then given up on.
    assert fakes.calls["bookmark"] > 3
    assert any(
        p.startswith("Gave up trying to bookmark INC-42 in Temporal") for p in incident.problems
    )
    assert "Could not invite <@UGONE>: the user is deactivated" in incident.problems
    assert any("Could not post to <#CFEED>" in p for p in incident.problems)
    steps = [message.step for message in fakes.messages]
    assert steps.count("problems") == 1
    assert {"summary", "feed", "reporter_dm"} <= set(steps)
    assert set(fakes.invites[0].user_ids) == {"UREP", "UCMD", "UALWAYS"}
    # Pinned in passing with the summary: no pin step of its own.
    assert [message.pin for message in fakes.messages if message.step == "summary"] == [True]
    assert fakes.calls["pin"] == 0


async def test_a_failing_pin_holds_back_no_announcement(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities(pin_fails=True)
    incident = await run_declaration(time_skipping, fakes, declare_input())

    # The pin was retried for its whole budget, while everything else went out at once.
    assert fakes.calls["pin"] > 3
    assert any(p.startswith("Gave up trying to pin the summary") for p in incident.problems)
    summary = fakes.scheduled["summary"]
    for step in ("reporter_dm", "commander_dm", "feed"):
        assert fakes.scheduled[step] - summary < timedelta(seconds=5), step
    assert fakes.scheduled["problems"] - summary > timedelta(minutes=10)


async def test_the_commander_gets_a_dm_with_the_channel_and_role(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    await run_declaration(time_skipping, fakes, declare_input())

    (dm,) = [message for message in fakes.messages if message.step == "commander_dm"]
    assert dm.channel == "UCMD"
    assert "<#C42>" in str(dm.blocks) and "incident commander" in str(dm.blocks)


async def test_a_commander_who_reported_gets_one_dm(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities()
    input = declare_input()
    input.declaration.commander_id = input.declaration.reporter_id
    await run_declaration(time_skipping, fakes, input)

    steps = [message.step for message in fakes.messages]
    assert "reporter_dm" in steps and "commander_dm" not in steps


async def test_private_incident_skips_the_feed_and_policy_invites(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    incident = await run_declaration(time_skipping, fakes, declare_input(private=True))

    assert fakes.channels[0].private is True
    assert "feed" not in [message.step for message in fakes.messages]
    assert set(fakes.invites[0].user_ids) == {"UREP", "UCMD"}
    assert incident.problems == ["Could not invite <@UGONE>: the user is deactivated"]


async def test_record_lands_after_the_database_returns(time_skipping: WorkflowEnvironment) -> None:
    fakes = FakeActivities(record_failures=5)
    incident = await run_declaration(time_skipping, fakes, declare_input())

    assert fakes.calls["record"] > 5
    assert fakes.records[-1].number == 42
    assert incident.channel is not None


async def test_a_declaration_is_recorded_whole_in_one_write(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities()
    incident = await run_declaration(time_skipping, fakes, declare_input())

    (record,) = fakes.records
    assert record.channel == incident.channel and record.declaration_complete


async def test_an_incident_without_its_channel_is_recorded_within_the_wait(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(channel_refusals=1)
    input = declare_input()
    queue = f"tq-{uuid.uuid4()}"
    async with Worker(
        time_skipping.client, task_queue=queue, workflows=[IncidentWorkflow], activities=fakes.all()
    ):
        await time_skipping.client.start_workflow(
            IncidentWorkflow.run, input, id=input.incident_id, task_queue=queue
        )
        # Slack refused the channel: retried on a 5-minute timer, the record does not wait.
        await time_skipping.sleep(FIRST_RECORD_WAIT + timedelta(seconds=1))
        (record,) = await eventually(lambda: fakes.records)
    assert record.number == 42 and record.channel is None


async def test_a_refused_channel_is_told_once_and_retried_on_a_timer(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(channel_refusals=2)
    incident = await run_declaration(time_skipping, fakes, declare_input(private=True))

    # Refused, refused, then created after two 5-minute timers; still private every time.
    assert [channel.private for channel in fakes.channels] == [True, True, True]
    refusals = [message for message in fakes.messages if message.step == "channel_refused"]
    assert len(refusals) == 1
    assert refusals[0].channel == "UREP"
    assert "does not let the bot create channels" in str(refusals[0].blocks)
    assert incident.channel is not None and incident.declaration_complete


async def test_a_number_the_record_holds_for_another_incident_is_replaced(
    time_skipping: WorkflowEnvironment,
) -> None:
    fakes = FakeActivities(taken_numbers=frozenset({42}))
    input = declare_input()
    incident = await run_declaration(time_skipping, fakes, input)

    assert incident.number == 43
    assert [record.number for record in fakes.records] == [43]
    assert fakes.renames == [
        RenameChannelInput(channel_id="C42", number=43, title=input.declaration.title)
    ]
    assert incident.channel is not None and incident.channel.name == "inc-43-x"
    first, again = [message for message in fakes.messages if message.step == "summary"]
    # The summary posted under the old number is updated, not posted again.
    assert first.ts is None and again.ts is not None
    assert "INC-43" in again.text and "INC-42" not in str(again.blocks)
    described = await time_skipping.client.get_workflow_handle(input.incident_id).describe()
    assert described.typed_search_attributes.get(search_attributes.INCIDENT_NUMBER) == 43
