"""IncidentWorkflow: one long-lived workflow per incident.

The bot starts it with its number already allocated (bot.numbers). Declaration runs every side
effect as its own retried, idempotent activity: the channel and the summary retry until done; the
other steps (pin, invites, DMs, feed post, topic, bookmarks) run side by side, may be given up on,
and a failure in one is reported once in the incident channel and in the workflow's details
instead of holding back the rest. The PostgreSQL record is kept by its own loop, so the incident
moves on while the database is down and the record catches up after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.records import RecordActivities
    from activities.slack import SlackActivities
    from activities.types import (
        BookmarkInput,
        CreateChannelInput,
        DescribeChannelInput,
        InviteInput,
        MessageResult,
        PinInput,
        UpsertMessageInput,
    )
    from fireline import search_attributes
    from fireline.models import (
        ChannelRef,
        DeclareIncidentInput,
        IncidentSnapshot,
        IncidentStatus,
    )
    from fireline.render import incident as render
    from fireline.render import operator
    from workflows import patches
    from workflows.policies import (
        BEST_EFFORT,
        CHANNEL_REFUSED_RETRY,
        ESSENTIAL,
        RECORD,
        ActivityOptions,
    )


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflow:
    @workflow.init
    def __init__(self, input: DeclareIncidentInput) -> None:
        info = workflow.info()
        ui = input.temporal_ui_url.rstrip("/")
        self._input = input
        self._incident = IncidentSnapshot(
            incident_id=input.incident_id,
            declaration=input.declaration,
            severity=input.severity,
            declared_at=input.declared_at,
            number=input.number,
            workflow_url=f"{ui}/namespaces/{info.namespace}/workflows/{info.workflow_id}",
        )
        # The record loop writes whenever `_version` moves past what it last wrote: once at the
        # start, so the record exists even while Slack is down, and again as the incident changes.
        self._version = 1
        self._recorded_version = 0

    @workflow.run
    async def run(self, input: DeclareIncidentInput) -> IncidentSnapshot:
        self._show_details()
        recorder = asyncio.create_task(self._keep_record())
        await self._declare()
        await workflow.wait_condition(lambda: self._incident.status is IncidentStatus.RESOLVED)
        await workflow.wait_condition(
            lambda: self._recorded_version == self._version and workflow.all_handlers_finished()
        )
        recorder.cancel()
        return self._incident

    @workflow.query
    def get_incident(self) -> IncidentSnapshot:
        return self._incident

    def _show_details(self) -> None:
        workflow.set_current_details(operator.current_details(self._incident))

    async def _declare(self) -> None:
        side_by_side = workflow.patched(patches.DECLARATION_STEPS_SIDE_BY_SIDE)
        incident = self._incident
        channel = await self._create_channel()
        incident.channel = channel
        if workflow.patched(patches.INCIDENT_CHANNEL_SEARCH_ATTRIBUTE):
            workflow.upsert_search_attributes(
                [search_attributes.INCIDENT_CHANNEL.value_set(channel.id)]
            )
        steps = await (self._room_and_rest() if side_by_side else self._room_then_rest())
        problems = [problem for step in steps for problem in step]
        if problems:
            incident.problems = problems
            self._show_details()
            await self._upsert_message(
                "problems",
                channel.id,
                render.problems_blocks(problems),
                "Some steps could not be done",
                ESSENTIAL,
                summary=f"say in {self._where()} what could not be done",
            )
        incident.declaration_complete = True
        self._changed()

    async def _room_and_rest(self) -> list[list[str]]:
        """Every step that needs only the channel, side by side: a step that keeps failing (a
        pin Slack refuses, a feed the bot is not in) holds back none of the others."""
        incident = self._incident
        bookmarks = [(f"{incident.reference} in Temporal", incident.workflow_url)]
        if incident.declaration.source_permalink:
            bookmarks.append(("Source message", incident.declaration.source_permalink))
        return list(
            await asyncio.gather(
                self._post_and_pin_summary(),
                self._best_effort("invite the responders", self._invite()),
                self._best_effort("send the reporter a DM", self._dm_reporter()),
                self._best_effort("send the commander a DM", self._dm_commander()),
                self._best_effort("post to the feed channel", self._post_feed()),
                self._best_effort("reply under the source message", self._reply_at_source()),
                self._best_effort("describe the channel", self._describe_channel()),
                *(
                    self._best_effort(f"bookmark {title}", self._bookmark(title, link))
                    for title, link in bookmarks
                ),
            )
        )

    async def _room_then_rest(self) -> list[list[str]]:
        """How incidents declared before `DECLARATION_STEPS_SIDE_BY_SIDE` ran their steps (the
        pin inside the essential summary step, bookmarks one after the other); kept so they
        replay."""
        room = await asyncio.gather(
            self._post_summary(pin=True),
            self._best_effort("invite the responders", self._invite()),
        )
        rest = await asyncio.gather(
            self._best_effort("send the reporter a DM", self._dm_reporter()),
            self._best_effort("post to the feed channel", self._post_feed()),
            self._best_effort("describe the channel", self._describe_channel()),
            self._best_effort("bookmark the links", self._bookmark_links_in_turn()),
        )
        return [*room, *rest]

    def _where(self) -> str:
        """The incident channel as operators may read it: a private incident's channel name
        carries its title, so it is never named."""
        channel = self._incident.channel
        if channel is None or self._incident.declaration.private:
            return "the incident channel"
        return f"#{channel.name}"

    async def _create_channel(self) -> ChannelRef:
        """The channel, however long it takes. Slack refusing for a reason only an admin can fix
        is told to the reporter once; the step is then tried again on a durable timer."""
        incident = self._incident
        told_reporter = False
        while True:
            try:
                return await workflow.execute_activity_method(
                    SlackActivities.create_incident_channel,
                    CreateChannelInput(
                        incident_id=incident.incident_id,
                        number=incident.number,
                        title=incident.declaration.title,
                        private=incident.declaration.private,
                        not_before=incident.declared_at,
                    ),
                    summary=f"create the {'private ' if incident.declaration.private else ''}"
                    f"channel for {incident.reference}",
                    **ESSENTIAL,
                )
            except ActivityError as err:
                if not told_reporter:
                    told_reporter = True
                    await self._tell_reporter_channel_refused(str(err.cause or err))
                await workflow.sleep(
                    CHANNEL_REFUSED_RETRY, summary="wait before asking Slack for the channel again"
                )

    async def _tell_reporter_channel_refused(self, reason: str) -> None:
        try:
            await self._upsert_message(
                "channel_refused",
                self._incident.declaration.reporter_id,
                render.channel_refused_blocks(self._incident, reason),
                render.fallback_text(self._incident),
                BEST_EFFORT,
                summary="tell the reporter Slack refused the channel",
            )
        except ActivityError as err:
            # Telling is best effort; the channel is still retried.
            workflow.logger.warning("could not DM the reporter: %s", err.cause)

    async def _post_summary(self, *, pin: bool = False) -> list[str]:
        assert self._incident.channel is not None
        result = await self._upsert_message(
            "summary",
            self._incident.channel.id,
            render.summary_blocks(self._incident),
            render.fallback_text(self._incident),
            ESSENTIAL,
            ts=self._incident.summary_ts,
            pin=pin,
            summary=f"post {'and pin ' if pin else ''}the summary in {self._where()}",
        )
        self._incident.summary_ts = result.ts or self._incident.summary_ts
        return [f"Could not post the summary: {result.problem}"] if result.problem else []

    async def _post_and_pin_summary(self) -> list[str]:
        """The summary is essential; its pin is decoration, given up on like the others."""
        problems = await self._post_summary()
        if problems or self._incident.summary_ts is None:
            return problems
        return await self._best_effort("pin the summary", self._pin_summary())

    async def _pin_summary(self) -> list[str]:
        assert self._incident.channel is not None and self._incident.summary_ts is not None
        result = await workflow.execute_activity_method(
            SlackActivities.pin_message,
            PinInput(channel=self._incident.channel.id, ts=self._incident.summary_ts),
            summary=f"pin the summary in {self._where()}",
            **BEST_EFFORT,
        )
        return result.problems

    async def _describe_channel(self) -> list[str]:
        assert self._incident.channel is not None
        await workflow.execute_activity_method(
            SlackActivities.describe_channel,
            DescribeChannelInput(
                channel_id=self._incident.channel.id,
                topic=render.topic(self._incident),
                purpose=render.purpose(self._incident),
            ),
            summary=f"set the topic and description of {self._where()}",
            **BEST_EFFORT,
        )
        return []

    async def _bookmark(self, title: str, link: str) -> list[str]:
        assert self._incident.channel is not None
        await workflow.execute_activity_method(
            SlackActivities.add_bookmark,
            BookmarkInput(channel_id=self._incident.channel.id, title=title, link=link),
            summary=f"bookmark {title} in {self._where()}",
            **BEST_EFFORT,
        )
        return []

    async def _bookmark_links_in_turn(self) -> list[str]:
        incident = self._incident
        links = [(f"{incident.reference} in Temporal", incident.workflow_url)]
        if incident.declaration.source_permalink:
            links.append(("Source message", incident.declaration.source_permalink))
        for title, link in links:
            await self._bookmark(title, link)
        return []

    async def _invite(self) -> list[str]:
        assert self._incident.channel is not None
        declaration = self._incident.declaration
        users = [declaration.reporter_id, declaration.commander_id]
        # A private incident invites only the people named in the form.
        if not declaration.private:
            users += self._input.always_invite
        result = await workflow.execute_activity_method(
            SlackActivities.invite_members,
            InviteInput(channel_id=self._incident.channel.id, user_ids=users),
            summary=f"invite {len(set(users))} people to {self._where()}",
            **BEST_EFFORT,
        )
        return result.problems

    async def _post_feed(self) -> list[str]:
        feed = self._input.feed_channel
        if self._incident.declaration.private or not feed:
            return []
        result = await self._upsert_message(
            "feed",
            feed,
            render.feed_blocks(self._incident),
            render.fallback_text(self._incident),
            BEST_EFFORT,
            ts=self._incident.feed_ts,
            summary="announce the incident in the feed channel",
        )
        self._incident.feed_ts = result.ts or self._incident.feed_ts
        return [f"Could not post to <#{feed}>: {result.problem}"] if result.problem else []

    async def _dm_reporter(self) -> list[str]:
        return await self._dm(
            "reporter_dm",
            self._incident.declaration.reporter_id,
            render.reporter_dm_blocks(self._incident),
            summary="DM the reporter the channel link",
        )

    async def _dm_commander(self) -> list[str]:
        declaration = self._incident.declaration
        if declaration.commander_id == declaration.reporter_id:
            return []  # the reporter's own DM says it all
        return await self._dm(
            "commander_dm",
            declaration.commander_id,
            render.commander_dm_blocks(self._incident),
            summary="DM the commander their role and the channel link",
        )

    async def _dm(self, step: str, user: str, blocks: render.Blocks, *, summary: str) -> list[str]:
        result = await self._upsert_message(
            step,
            user,
            blocks,
            render.fallback_text(self._incident),
            BEST_EFFORT,
            summary=summary,
        )
        return [f"Could not DM <@{user}>: {result.problem}"] if result.problem else []

    async def _reply_at_source(self) -> list[str]:
        """A reply under the message the incident was declared from, pointing to its channel.
        Never for a private incident: that thread may be public."""
        declaration = self._incident.declaration
        if declaration.private or not (declaration.source_channel_id and declaration.source_ts):
            return []
        result = await self._upsert_message(
            "source_thread",
            declaration.source_channel_id,
            render.source_thread_blocks(self._incident),
            render.fallback_text(self._incident),
            BEST_EFFORT,
            thread_ts=declaration.source_ts,
            summary="reply under the source message with the channel link",
        )
        if result.problem:
            return [f"Could not reply under the source message: {result.problem}"]
        return []

    async def _upsert_message(
        self,
        step: str,
        channel: str,
        blocks: render.Blocks,
        text: str,
        options: ActivityOptions,
        *,
        summary: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        pin: bool = False,
    ) -> MessageResult:
        return await workflow.execute_activity_method(
            SlackActivities.upsert_message,
            UpsertMessageInput(
                incident_id=self._incident.incident_id,
                step=step,
                channel=channel,
                text=text,
                blocks=blocks,
                ts=ts,
                thread_ts=thread_ts,
                pin=pin,
                not_before=self._incident.declared_at,
            ),
            summary=summary,
            **options,
        )

    async def _best_effort(self, what: str, step: Awaitable[list[str]]) -> list[str]:
        try:
            return await step
        except ActivityError as err:
            cause = str(err.cause or err)
            return [f"Gave up trying to {what}: {cause}"]

    def _changed(self) -> None:
        self._version += 1

    async def _keep_record(self) -> None:
        while True:
            await workflow.wait_condition(lambda: self._recorded_version < self._version)
            version = self._version
            try:
                await workflow.execute_activity_method(
                    RecordActivities.record_incident,
                    self._incident.model_copy(deep=True),
                    summary=f"record {self._incident.reference} in PostgreSQL",
                    **RECORD,
                )
            except ActivityError as err:
                # Only non-retryable errors end up here (bad data); the next change tries again.
                workflow.logger.error(
                    "recording %s failed: %s", self._incident.reference, err.cause
                )
            self._recorded_version = version
