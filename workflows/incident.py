"""IncidentWorkflow: one long-lived workflow per incident.

The bot starts it with its number already allocated (bot.numbers). Declaration runs every side
effect as its own retried, idempotent activity: the channel and the pinned summary retry until
done; invites, the reporter's DM, the feed post, topic, description and bookmarks may be
given up on, and a
failure in one is reported once in the incident channel instead of stopping the rest. The
PostgreSQL record is kept by its own loop, so the incident moves on while the database is down
and the record catches up after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.numbers import NumberActivities
    from activities.records import RecordActivities, is_number_taken
    from activities.slack import SlackActivities
    from activities.types import (
        BookmarkInput,
        CreateChannelInput,
        DescribeChannelInput,
        InviteInput,
        MessageResult,
        RenameChannelInput,
        UpsertMessageInput,
    )
    from fireline import search_attributes
    from fireline.models import (
        ChannelRef,
        DeclareIncidentInput,
        IncidentSnapshot,
        IncidentStatus,
        RenumberInput,
    )
    from fireline.render import incident as render
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
        workflow.set_current_details(self._details())
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

    def _details(self) -> str:
        """What the Temporal UI shows about the incident while it runs."""
        incident = self._incident
        return (
            f"**{incident.reference}** · {incident.severity.name}\n\n{incident.declaration.title}"
        )

    async def _declare(self) -> None:
        incident = self._incident
        channel = await self._create_channel()
        incident.channel = channel
        if workflow.patched(patches.INCIDENT_CHANNEL_SEARCH_ATTRIBUTE):
            workflow.upsert_search_attributes(
                [search_attributes.INCIDENT_CHANNEL.value_set(channel.id)]
            )

        # The room first (summary pinned, people in), then the announcements and decoration, so
        # under load the steps responders wait on do not queue behind the others.
        room = await asyncio.gather(
            self._post_summary(),
            self._best_effort("invite the responders", self._invite()),
        )
        rest = await asyncio.gather(
            self._best_effort("send the reporter a DM", self._dm_reporter()),
            self._best_effort("post to the feed channel", self._post_feed()),
            self._best_effort("describe the channel", self._describe_channel()),
            self._best_effort("bookmark the links", self._bookmark_links()),
        )
        problems = [problem for step in (*room, *rest) for problem in step]
        if problems:
            incident.problems = problems
            await self._upsert_message(
                "problems",
                channel.id,
                render.problems_blocks(problems),
                "Some steps could not be done",
                ESSENTIAL,
            )
        incident.declaration_complete = True
        self._changed()

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
                    **ESSENTIAL,
                )
            except ActivityError as err:
                if not told_reporter:
                    told_reporter = True
                    await self._tell_reporter_channel_refused(str(err.cause or err))
                await workflow.sleep(CHANNEL_REFUSED_RETRY)

    async def _tell_reporter_channel_refused(self, reason: str) -> None:
        try:
            await self._upsert_message(
                "channel_refused",
                self._incident.declaration.reporter_id,
                render.channel_refused_blocks(self._incident, reason),
                render.fallback_text(self._incident),
                BEST_EFFORT,
            )
        except ActivityError as err:
            # Telling is best effort; the channel is still retried.
            workflow.logger.warning("could not DM the reporter: %s", err.cause)

    async def _post_summary(self) -> list[str]:
        assert self._incident.channel is not None
        result = await self._upsert_message(
            "summary",
            self._incident.channel.id,
            render.summary_blocks(self._incident),
            render.fallback_text(self._incident),
            ESSENTIAL,
            ts=self._incident.summary_ts,
            pin=True,
        )
        self._incident.summary_ts = result.ts or self._incident.summary_ts
        return [f"Could not post the summary: {result.problem}"] if result.problem else []

    async def _describe_channel(self) -> list[str]:
        assert self._incident.channel is not None
        await workflow.execute_activity_method(
            SlackActivities.describe_channel,
            DescribeChannelInput(
                channel_id=self._incident.channel.id,
                topic=render.topic(self._incident),
                purpose=render.purpose(self._incident),
            ),
            **BEST_EFFORT,
        )
        return []

    async def _bookmark_links(self) -> list[str]:
        """The workflow in the Temporal UI, and the message the incident was declared from."""
        incident = self._incident
        assert incident.channel is not None
        links = [(f"{incident.reference} in Temporal", incident.workflow_url)]
        if incident.declaration.source_permalink:
            links.append(("Source message", incident.declaration.source_permalink))
        for title, link in links:
            await workflow.execute_activity_method(
                SlackActivities.add_bookmark,
                BookmarkInput(channel_id=incident.channel.id, title=title, link=link),
                **BEST_EFFORT,
            )
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
        )
        self._incident.feed_ts = result.ts or self._incident.feed_ts
        return [f"Could not post to <#{feed}>: {result.problem}"] if result.problem else []

    async def _dm_reporter(self) -> list[str]:
        reporter = self._incident.declaration.reporter_id
        result = await self._upsert_message(
            "reporter_dm",
            reporter,
            render.reporter_dm_blocks(self._incident),
            render.fallback_text(self._incident),
            BEST_EFFORT,
        )
        return [f"Could not DM <@{reporter}>: {result.problem}"] if result.problem else []

    async def _upsert_message(
        self,
        step: str,
        channel: str,
        blocks: render.Blocks,
        text: str,
        options: ActivityOptions,
        *,
        ts: str | None = None,
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
                pin=pin,
                not_before=self._incident.declared_at,
            ),
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
                    RecordActivities.record_incident, self._incident.model_copy(deep=True), **RECORD
                )
            except ActivityError as err:
                if is_number_taken(err) and workflow.patched(patches.RENUMBER_TAKEN_NUMBER):
                    await self._renumber()
                    continue
                # Only non-retryable errors end up here (bad data); the next change tries again.
                workflow.logger.error(
                    "recording %s failed: %s", self._incident.reference, err.cause
                )
            self._recorded_version = version

    async def _renumber(self) -> None:
        """The record holds this incident's number for another one (the counter started over and
        could not read the record): take a fresh number and show it where the old one showed.
        The record loop writes the incident again after."""
        incident = self._incident
        incident.number = await workflow.execute_activity_method(
            NumberActivities.renumber_incident,
            RenumberInput(incident_id=incident.incident_id, taken=incident.number),
            **ESSENTIAL,
        )
        workflow.upsert_search_attributes(
            [search_attributes.INCIDENT_NUMBER.value_set(incident.number)]
        )
        workflow.set_current_details(self._details())
        # Steps already running were given the old number: rename and re-render after them.
        await workflow.wait_condition(lambda: incident.declaration_complete)
        assert incident.channel is not None
        try:
            incident.channel = await workflow.execute_activity_method(
                SlackActivities.rename_incident_channel,
                RenameChannelInput(
                    channel_id=incident.channel.id,
                    number=incident.number,
                    title=incident.declaration.title,
                ),
                **BEST_EFFORT,
            )
        except ActivityError as err:
            workflow.logger.warning(
                "could not rename %s's channel: %s", incident.reference, err.cause
            )
        await self._post_summary()
