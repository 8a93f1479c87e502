"""Filling a postmortem from a long incident: the channel read, then the doc's Timeline written,
through the real slack_sdk, notion-client and atlassian-python-api against the project's fakes.

The incident has `--messages` channel messages (one in `--thread-every` starts a thread of
`--replies` replies, counted among the messages) and `--events` timeline events. It runs the same
activities the workflow runs (channel_transcript, write_section) and the same ordering
(workflows/incident/postmortem_timeline.py); Temporal adds one activity round trip each, which
this leaves out. Printed for each doc backend: the time to fill, the time of a second refresh
(which finds nothing to change), and the API calls made against each fake.

With `--ratelimit-every N`, Slack answers 429 to every Nth conversations.history or
conversations.replies call, and the channel is read as Temporal retries the activity: each failed
attempt is followed by the next, given the details of the last heartbeat before it (without
waiting for Retry-After: calls are counted here, not time), up to `--attempts`.

    uv run python -m bench.postmortem --messages 5000 --events 500 [--ratelimit-every 100]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.clients import confluence_client, notion_client
from activities.confluence_doc import ConfluenceDocs
from activities.doc_template import TIMELINE
from activities.notion_doc import NotionDocs
from activities.postmortem_doc import DocBackend, PostmortemDocActivities
from activities.slack_transcript import SlackTranscriptActivities
from activities.tracking_types import (
    DocHeader,
    DocSection,
    DocSectionInput,
    Transcript,
    TranscriptInput,
)
from fireline.integrations import ConfluenceConfig, NotionConfig
from fireline.models import Declaration, IncidentSnapshot, TimelineEvent
from fireline.policy import SeverityLevel
from tests.fakes.confluence import FakeConfluence
from tests.fakes.notion import FakeNotion
from tests.fakes.slack import FakeSlack
from workflows.incident.postmortem_timeline import timeline_lines

PEOPLE = [f"UPERSON{n:03d}" for n in range(40)]


def seed_channel(slack: FakeSlack, messages: int, thread_every: int, replies: int) -> str:
    for user in PEOPLE:
        slack.add_user(user, f"person-{user[-3:]}")
    channel = slack.add_channel("inc-1-payments-down", members=PEOPLE)
    written = 0
    while written < messages:
        author = PEOPLE[written % len(PEOPLE)]
        mention = PEOPLE[(written + 1) % len(PEOPLE)]
        text = f"<@{mention}> step {written}: see <https://grafana/d/{written}|the graph>"
        ts = slack.add_message(channel, text, user=author)
        written += 1
        if written % thread_every == 0:
            for reply in range(min(replies, messages - written)):
                slack.add_message(
                    channel, f"reply {reply} under {written}", user=author, thread_ts=ts
                )
                written += 1
    return channel


def incident(declared_at: datetime) -> IncidentSnapshot:
    return IncidentSnapshot(
        incident_id="incident-TBENCH-1",
        number=1,
        declaration=Declaration(
            title="Payments down",
            severity="SEV1",
            reporter_id=PEOPLE[0],
            commander_id=PEOPLE[1],
        ),
        severity=SeverityLevel(name="SEV1", label="critical"),
        declared_at=declared_at,
        workflow_url="http://localhost:8233/namespaces/default/workflows/incident-TBENCH-1",
    )


def events(count: int, declared_at: datetime) -> list[TimelineEvent]:
    kinds = ["note_added", "update_posted", "status_changed", "role_assigned"]
    return [
        TimelineEvent(
            key=f"event:{n}",
            kind=kinds[n % len(kinds)],
            at=declared_at + timedelta(seconds=20 * n),
            actor_id=PEOPLE[n % len(PEOPLE)],
            old="investigating",
            new=PEOPLE[(n + 3) % len(PEOPLE)] if n % 4 == 3 else "identified",
            text=f"event {n}: what we know now",
        )
        for n in range(count)
    ]


def rate_limit(slack: FakeSlack, every: int) -> None:
    """Slack answers 429 to every `every`th read of history or replies."""
    reads = itertools.count(1)

    def limited(_: dict[str, Any]) -> bool:
        return next(reads) % every == 0

    for method in ("conversations.history", "conversations.replies"):
        slack.faults.add(method, kind="ratelimited", when=limited)


async def read_channel(
    transcripts: SlackTranscriptActivities,
    input: TranscriptInput,
    attempts: int,
    sizes: list[int],
) -> tuple[Transcript | None, int]:
    """channel_transcript retried as Temporal retries it: each attempt is given the details of
    the last heartbeat before it (their sizes in bytes go to `sizes`). None when the last attempt
    failed too."""
    last: list[Any] = []

    def beat(*details: Any) -> None:
        last[:] = details
        sizes.append(sum(len(detail) for detail in details))

    for attempt in range(1, attempts + 1):
        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, attempt=attempt, heartbeat_details=list(last))
        env.on_heartbeat = beat
        try:
            return await env.run(transcripts.channel_transcript, input), attempt
        except ApplicationError as err:
            if err.non_retryable:
                raise
    return None, attempts


async def fill(
    transcripts: SlackTranscriptActivities,
    docs: PostmortemDocActivities,
    ref: Any,
    snapshot: IncidentSnapshot,
    channel: str,
    timeline: list[TimelineEvent],
    attempts: int,
    heartbeats: list[int],
) -> tuple[float, bool, int, int]:
    """(seconds, whether the doc changed, timeline lines, attempts at reading the channel)"""
    env = ActivityEnvironment()
    started = time.perf_counter()
    people = sorted({e.actor_id for e in timeline} | {snapshot.declaration.reporter_id})
    transcript, tries = await read_channel(
        transcripts,
        TranscriptInput(
            channel_id=channel, oldest=snapshot.declared_at - timedelta(minutes=1), user_ids=people
        ),
        attempts,
        heartbeats,
    )
    if transcript is None:
        return time.perf_counter() - started, False, 0, tries
    lines = timeline_lines(snapshot, timeline, transcript)
    written = await env.run(
        docs.write_section,
        DocSectionInput(ref=ref, section=DocSection(heading=TIMELINE, lines=lines)),
    )
    return time.perf_counter() - started, written.changed, len(lines), tries


def counted(calls: list[Any], name: Any) -> str:
    counts = Counter(name(call) for call in calls)
    return ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "none"


async def bench(args: argparse.Namespace) -> None:
    logging.getLogger("fireline.notion").setLevel(logging.CRITICAL)
    with FakeSlack() as slack, FakeNotion() as notion, FakeConfluence() as confluence:
        declared_at = datetime.now(UTC) - timedelta(seconds=5)
        channel = seed_channel(slack, args.messages, args.thread_every, args.replies)
        snapshot = incident(declared_at)
        timeline = events(args.events, declared_at)
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
        transcripts = SlackTranscriptActivities(client)
        database = notion.add_database("Postmortems", {"Name": "title", "Incident ID": "rich_text"})
        notion_api = notion_client(NotionConfig(notion.token, database, notion.base_url))
        confluence.add_space("OPS")
        config = ConfluenceConfig(
            confluence.url, confluence.username, confluence.api_token, "OPS", None
        )
        backends: list[tuple[str, DocBackend, Any]] = [
            ("notion", NotionDocs(notion_api, database), notion),
            ("confluence", ConfluenceDocs(confluence_client(config), config), confluence),
        ]
        header = DocHeader(
            number=1,
            title="Payments down",
            severity="SEV1",
            status="resolved",
            commander="person-001",
            declared_at=declared_at,
            channel_url="https://fake.slack.com/archives/C1",
        )
        if args.ratelimit_every:
            rate_limit(slack, args.ratelimit_every)
        print(
            f"incident: {args.messages} channel messages (a thread of {args.replies} every "
            f"{args.thread_every}), {args.events} timeline events"
        )
        for name, backend, fake in backends:
            docs = PostmortemDocActivities(backend)
            ref = await backend.create(snapshot.incident_id, header)
            slack_before, doc_before = len(slack.calls()), len(fake.calls())
            heartbeats: list[int] = []
            seconds, changed, lines, tries = await fill(
                transcripts, docs, ref, snapshot, channel, timeline, args.attempts, heartbeats
            )
            slack_calls = slack.calls()[slack_before:]
            doc_calls = fake.calls()[doc_before:]
            limited = sum(1 for c in slack_calls if c.status == 429)
            if not lines:
                print(f"\n{name}: the channel was not read in {tries} attempts ({seconds:.2f} s)")
            else:
                print(f"\n{name}: fill {seconds:.2f} s, {lines} timeline lines, written: {changed}")
            print(
                f"  channel read: {tries} attempt(s), {limited} calls answered 429; "
                f"{len(heartbeats)} heartbeats, the largest {max(heartbeats, default=0)} bytes"
            )
            print(f"  slack calls ({len(slack_calls)}): {counted(slack_calls, lambda c: c.method)}")
            print(f"  {name} calls ({len(doc_calls)}): {counted(doc_calls, lambda c: c.operation)}")
            if not lines:
                continue
            doc_before = len(fake.calls())
            seconds, changed, _, _ = await fill(
                transcripts, docs, ref, snapshot, channel, timeline, args.attempts, []
            )
            again = fake.calls()[doc_before:]
            print(
                f"  refresh {seconds:.2f} s, written: {changed}; {name} calls ({len(again)}): "
                f"{counted(again, lambda c: c.operation)}"
            )
        await notion_api.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--thread-every", type=int, default=10)
    parser.add_argument("--replies", type=int, default=3)
    parser.add_argument("--ratelimit-every", type=int, default=0)
    parser.add_argument("--attempts", type=int, default=30)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
