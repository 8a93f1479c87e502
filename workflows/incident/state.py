"""The incident workflow's state: one model, so it can be carried whole across continue-as-new."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import fireline.render.operator as operator
    from fireline.models import DeclareIncidentInput, IncidentSnapshot, PagingPlan, TimelineEvent
    from fireline.policy import SeverityPolicy
    from fireline.signals import Change
    from workflows.incident.tracking_state import TrackingState

# Request ids remembered so a redelivered Slack request changes nothing twice; redeliveries come
# within minutes, not hundreds of changes later.
REMEMBERED_REQUESTS = 500


class QueuedChange(BaseModel):
    """A signal received and not yet applied: changes apply one at a time, in arrival order."""

    signal: str
    payload: dict[str, Any]


class PageState(BaseModel):
    """The incident's PagerDuty alert as far as PagerDuty accepted it (see paging.py)."""

    # On-call should be paged for this incident (its level, a promotion or /incident page).
    wanted: bool = False
    # PagerDuty accepted a trigger and no resolve since: the alert is open.
    open: bool = False
    # Who the next page or resolve is credited to in the timeline.
    by: str = ""
    # Someone asked for the page (`/incident page`): paging being off is said, once.
    asked: bool = False
    # The on-call people were looked up (once per incident) and whom that brought in.
    oncall_looked_up: bool = False
    oncall_invited: list[str] = Field(default_factory=list)
    # The notes about the page in the incident channel, step -> message ts, kept up to date.
    notes: dict[str, str] = Field(default_factory=dict)


class IncidentState(BaseModel):
    # What queries return and the record stores.
    incident: IncidentSnapshot
    # From the deployment at declaration: the incident keeps what it started with.
    always_invite: list[str] = Field(default_factory=list)
    feed_channel: str | None = None
    policy: SeverityPolicy | None = None
    pending: list[QueuedChange] = Field(default_factory=list)
    applied_requests: list[str] = Field(default_factory=list)
    # Timeline events not yet written to the record, and the number the next one gets.
    unrecorded: list[TimelineEvent] = Field(default_factory=list)
    next_event: int = 1
    # Who the severity levels' `invite` lists brought in (workflows/incident/levels.py).
    level_invited: list[str] = Field(default_factory=list)
    # The record loop writes whenever `version` moves past `recorded_version`: once at the start,
    # so the record exists even while Slack is down, and again as the incident changes.
    version: int = 1
    recorded_version: int = 0
    # Reminders run (workflows/incident/remind.py): False for incidents started before them.
    reminding: bool = False
    # Reminders posted so far: the next one's message is `reminder:<n>`, posted once.
    reminders_sent: int = 0
    # The postmortem doc and the Jira issue (workflows/incident/tracking.py).
    tracking: TrackingState = Field(default_factory=TrackingState)
    # Level steps run at declaration too, and page on-call and open the status channel: False
    # for incidents started before them (patches.PAGING_AND_STATUS_CHANNEL).
    level_steps_at_declaration: bool = False
    page: PageState = Field(default_factory=PageState)
    paging_plan: PagingPlan = Field(default_factory=PagingPlan)
    # The events sent to PagerDuty, one after the other (see paging.sync).
    _paging: asyncio.Task[None] | None = PrivateAttr(default=None)
    # Reminders due are being posted (remind.py): a run does not continue as new meanwhile.
    posting_reminders: bool = Field(default=False, exclude=True)
    # The status channel is being created (status_channel.py): a promotion meanwhile does not
    # create another.
    opening_status_channel: bool = Field(default=False, exclude=True)
    # The run is about to continue as new: no reminder starts posting (the next run posts it).
    continuing: bool = Field(default=False, exclude=True)
    # What changes still have to say and show, one change after the other (see `afterwards`).
    _aftermath: asyncio.Task[None] | None = PrivateAttr(default=None)
    # Work that runs beside the changes (see `beside`).
    _beside: list[asyncio.Task[None]] = PrivateAttr(default_factory=list)
    # Held while the pinned summary is being updated (steps.upsert_summary).
    _summary_turn: asyncio.Lock = PrivateAttr(default_factory=asyncio.Lock)
    # The summary as this run last put it in Slack (steps.upsert_summary): an update that would
    # show the same is not sent again.
    _summary_shown: Any = PrivateAttr(default=None)

    @property
    def summary_turn(self) -> asyncio.Lock:
        return self._summary_turn

    @property
    def summary_shown(self) -> Any:
        return self._summary_shown

    @summary_shown.setter
    def summary_shown(self, blocks: Any) -> None:
        self._summary_shown = blocks

    @classmethod
    def starting(cls, input: DeclareIncidentInput, workflow_url: str) -> IncidentState:
        """The state a run starts with: the one the run before carried, or a new incident's."""
        if input.carried is not None:
            return cls.model_validate(input.carried)
        return cls.declared(input, workflow_url)

    @classmethod
    def declared(cls, input: DeclareIncidentInput, workflow_url: str) -> IncidentState:
        return cls(
            incident=IncidentSnapshot(
                incident_id=input.incident_id,
                declaration=input.declaration,
                severity=input.severity,
                declared_at=input.declared_at,
                number=input.number,
                workflow_url=workflow_url,
                roles={"commander": input.declaration.commander_id},
                timeline_length=1,  # declared
            ),
            always_invite=input.always_invite,
            feed_channel=input.feed_channel,
            policy=input.policy,
            tracking=TrackingState(plan=input.tracking),
            paging_plan=input.paging,
        )

    def receive(self, signal: str, change: Change) -> None:
        """Queue a change, unless its Slack request was seen before (a redelivery)."""
        request = change.request_id
        if request is not None:
            if request in self.applied_requests:
                return
            self.applied_requests = [*self.applied_requests, request][-REMEMBERED_REQUESTS:]
        self.pending.append(QueuedChange(signal=signal, payload=change.model_dump()))

    def add_event(
        self,
        kind: str,
        actor: str,
        *,
        old: str | None = None,
        new: str | None = None,
        text: str = "",
    ) -> TimelineEvent:
        """A timeline row for the record, keyed by its place in the incident's history."""
        event = TimelineEvent(
            key=f"event:{self.next_event}",
            kind=kind,
            at=workflow.now(),
            actor_id=actor,
            old=old,
            new=new,
            text=text,
        )
        self.next_event += 1
        self.unrecorded.append(event)
        self.tracking.keep(event)
        self.incident.timeline_length += 1
        self.changed()
        return event

    def changed(self) -> None:
        """Something the record keeps changed; the record loop writes it again."""
        self.version += 1

    def afterwards(self, steps: Awaitable[None]) -> None:
        """Run a change's remaining effects once those of the changes before it are done: the
        next change need not wait for them, and messages still come in the order of changes."""
        before = self._aftermath

        async def in_turn() -> None:
            if before is not None:
                await before
            await steps

        self._aftermath = asyncio.create_task(in_turn())

    def beside(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` beside the incident's changes, which do not wait for it (an outside API
        retried for minutes); closing the incident does."""
        self._beside.append(asyncio.create_task(work))

    async def settled(self) -> None:
        """Wait until every change has said and shown all it had to, and the work beside them
        is done."""
        if self._aftermath is not None:
            await self._aftermath
        await asyncio.gather(*self._beside)

    def idle(self) -> bool:
        """Nothing in flight that continuing as new would cut short: every change said and
        shown, no reminder being posted, the record written, and nothing running beside the
        changes (on-call being brought in, events to PagerDuty, the doc and the issue: while
        one of these waits on a refusal, the switch waits with it)."""
        return (
            (self._aftermath is None or self._aftermath.done())
            and all(task.done() for task in self._beside)
            and (self._paging is None or self._paging.done())
            and self.tracking.idle()
            and not self.posting_reminders
            and self.recorded_version == self.version
        )

    def carried(self) -> dict[str, Any]:
        """All the next run needs to carry on where this one stops: the incident with its
        reminders' due times, changes not yet applied, requests seen, events not yet recorded."""
        return self.model_dump(mode="json")

    def where(self) -> str:
        """The incident channel as operators may read it: a private incident's channel name
        carries its title, so it is never named."""
        channel = self.incident.channel
        if channel is None or self.incident.declaration.private:
            return "the incident channel"
        return f"#{channel.name}"

    def show_details(self) -> None:
        """What the Temporal UI shows about the incident while it runs."""
        workflow.set_current_details(operator.current_details(self.incident))
