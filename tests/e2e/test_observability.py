"""Observability of the real processes: one trace from a Slack request to every call it causes,
metrics that move by what happened, and health endpoints.

`fireline worker` and `fireline bot` run as processes configured only by the environment
(OTEL_EXPORTER_OTLP_ENDPOINT at the OTLP receiver fake, METRICS_PORT, BOT_METRICS_PORT).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from fireline.telemetry.logs import secret_values
from tests.e2e.observed import Observed, health, observed_stack
from tests.fakes.otlp import OtlpReceiver, Span, otlp_receiver
from tests.fakes.slack import FakeSlack
from tests.fixtures.temporal import TEST_CONVERTER
from tests.helpers import eventually
from tests.history import ran_locally
from tests.stack import COMMANDER, REPORTER, SIGNING_SECRET

INCIDENT_NUMBER = "fireline.incident.number"
INCIDENT_ID = "fireline.incident.id"


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpReceiver]:
    async with otlp_receiver() as receiver:
        yield receiver


@pytest.fixture
async def observed(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    receiver: OtlpReceiver,
    tmp_path: Path,
) -> AsyncIterator[Observed]:
    async with observed_stack(slack, dev_server.client, database_url, receiver, tmp_path) as up:
        yield up


def http_url(span: Span) -> str:
    return str(span.attributes.get("url.full") or span.attributes.get("http.url") or "")


async def scheduled_activities(observed: Observed, workflow_id: str) -> set[str]:
    """The types of the activities the incident ran: scheduled, or local (a marker)."""
    history = await observed.stack.handle(workflow_id).fetch_history()
    scheduled = {
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    markers = [
        event.marker_recorded_event_attributes for event in history.events if ran_locally(event)
    ]
    local = await TEST_CONVERTER.decode([m.details["data"].payloads[0] for m in markers])
    return scheduled | {str(data["activity_type"]) for data in local}


async def test_one_trace_from_the_submission_to_every_call(
    observed: Observed, receiver: OtlpReceiver, slack: FakeSlack
) -> None:
    stack = observed.stack
    view = await stack.open_form()
    calls_before = len(slack.calls())
    response = await stack.submit(view, commander=COMMANDER, title="Secret project is down")
    assert response.status == 200
    workflow_id = stack.workflow_id(view)
    incident = await stack.declared(workflow_id)
    slack_methods = {call.method for call in slack.calls()[calls_before:]}

    def submission() -> Span:
        spans = [
            span
            for span in receiver.named("slack view_submission")
            if span.attributes.get("slack.callback_id") == "declare_incident"
        ]
        assert len(spans) == 1, spans
        return spans[0]

    bot_span = await eventually(submission)
    assert bot_span.service == "fireline-bot"
    assert bot_span.attributes["slack.team_id"] == slack.team_id
    assert bot_span.attributes["slack.user_id"] == REPORTER

    async def whole_trace() -> list[Span]:
        activities = await scheduled_activities(observed, workflow_id)
        assert {"create_incident_channel", "upsert_message", "record_changes"} <= activities
        spans = receiver.trace(bot_span.trace_id)
        names = {span.name for span in spans}
        assert {f"RunActivity:{activity}" for activity in activities} <= names, names
        assert {"declare incident", "StartWorkflow:IncidentWorkflow"} <= names, names
        assert "RunWorkflow:IncidentWorkflow" in names, names
        called = {http_url(span).rsplit("/", 1)[-1] for span in spans if http_url(span)}
        assert slack_methods <= called, slack_methods - called
        assert any(span.attributes.get("db.system") == "postgresql" for span in spans)
        return spans

    spans = await eventually(whole_trace, timeout=20)
    services = {span.service for span in spans}
    assert services == {"fireline-bot", "fireline-worker"}
    (declare,) = [span for span in spans if span.name == "declare incident"]
    assert declare.attributes[INCIDENT_NUMBER] == incident.number
    assert declare.attributes[INCIDENT_ID] == workflow_id
    for span in spans:
        if span.name.startswith("RunActivity:") and span.attributes.get("temporalWorkflowID") == (
            workflow_id
        ):
            assert span.attributes[INCIDENT_NUMBER] == incident.number, span
            assert span.attributes[INCIDENT_ID] == workflow_id, span
    # Nothing anyone typed travels in a span.
    assert not any("Secret project" in str(span.attributes) for span in receiver.spans)


async def test_a_change_signal_carries_the_trace_to_the_workflow(
    observed: Observed, receiver: OtlpReceiver
) -> None:
    """Changes are signalled past the client's interceptors (bot.changes), with the trace
    context in the interceptor's header: the workflow's handling links back to the click."""
    stack = observed.stack
    workflow_id = await stack.declare(commander=COMMANDER)
    incident = await stack.declared(workflow_id)
    assert incident.channel is not None
    shown, _ = await stack.command("status mitigated", incident.channel.id)
    assert "mitigated" in shown.lower(), shown

    def signalled() -> tuple[Span, Span]:
        sent = [
            span
            for span in receiver.spans
            if span.name.startswith("SignalWorkflow:")
            and span.attributes.get("temporalWorkflowID") == workflow_id
        ]
        assert len(sent) == 1, sent
        handled = [
            span
            for span in receiver.spans
            if span.name == sent[0].name.replace("SignalWorkflow", "HandleSignal")
            and sent[0].span_id in span.links
        ]
        assert len(handled) == 1, handled
        return sent[0], handled[0]

    sent, handled = await eventually(signalled, timeout=20)
    command = [span for span in receiver.trace(sent.trace_id) if span.name == "slack slash_command"]
    assert [span.attributes["slack.command"] for span in command] == ["/incident"]
    assert sent.attributes[INCIDENT_NUMBER] == incident.number
    assert handled.service == "fireline-worker"


async def test_metrics_move_by_what_happened(observed: Observed, slack: FakeSlack) -> None:
    stack = observed.stack
    worker_before = await observed.metrics(observed.worker_port)
    bot_before = await observed.metrics(observed.bot_port)
    # Slack rate limits the first message once: counted, and retried after Retry-After.
    slack.faults.add("chat.postMessage", kind="ratelimited", retry_after=1, times=1)

    workflow_id = await stack.declare(severity="SEV3", commander=COMMANDER)
    await stack.declared(workflow_id)

    def moved(before: dict[str, float], after: dict[str, float], key: str) -> float:
        return after.get(key, 0.0) - before.get(key, 0.0)

    async def worker_counted() -> dict[str, float]:
        after = await observed.metrics(observed.worker_port)
        channel_ready = "fireline_declaration_channel_ready_seconds_count"
        assert moved(worker_before, after, channel_ready) == 1
        return after

    worker = await eventually(worker_counted)
    errors = 'fireline_slack_api_errors_total{error="ratelimited",method="chat.postMessage"}'
    assert moved(worker_before, worker, errors) == 1
    limited = 'fireline_slack_rate_limited_total{method="chat.postMessage"}'
    assert moved(worker_before, worker, limited) == 1
    # The Temporal SDK's own metrics, relayed on the same endpoint.
    assert any(key.startswith("temporal_activity_execution_latency") for key in worker)

    bot = await observed.metrics(observed.bot_port)
    declared = 'fireline_incidents_declared_total{private="false",severity="SEV3"}'
    assert moved(bot_before, bot, declared) == 1
    acks = "fireline_slack_ack_duration_seconds_count"
    assert moved(bot_before, bot, acks + '{kind="slash_command"}') == 1
    assert moved(bot_before, bot, acks + '{kind="view_submission"}') == 1
    assert any(key.startswith("temporal_request") for key in bot)


async def test_health_says_what_each_process_checks(observed: Observed) -> None:
    assert await health(observed.worker_port) == (200, {"ok": True, "checks": {"pollers": "ok"}})
    expected = {"ok": True, "checks": {"temporal": "ok", "slack_auth": "ok"}}
    assert await health(observed.bot_port) == (200, expected)
    assert await health(observed.stack.settings.port) == (200, expected)


async def decoded_history(observed: Observed, workflow_id: str) -> str:
    """The incident's history as JSON, with every payload in it decrypted and decoded."""
    history = await observed.stack.handle(workflow_id).fetch_history()
    payloads: list[Payload] = []

    def collect(message: Message) -> None:
        if isinstance(message, Payload):
            payloads.append(message)
            return
        for field, value in message.ListFields():
            if field.message_type is None:
                continue
            if isinstance(value, Message):
                collect(value)
                continue
            # A repeated field, or a map (of messages, when its values are)
            for item in value.values() if hasattr(value, "values") else value:
                if isinstance(item, Message):
                    collect(item)

    for event in history.events:
        collect(event)
    assert payloads
    decoded = await TEST_CONVERTER.payload_codec.decode(payloads)  # type: ignore[union-attr]
    return history.to_json() + "".join(p.data.decode(errors="replace") for p in decoded)


async def test_no_secret_in_logs_spans_or_histories(
    observed: Observed, receiver: OtlpReceiver
) -> None:
    stack = observed.stack
    workflow_id = await stack.declare(commander=COMMANDER)
    incident = await stack.declared(workflow_id)
    assert incident.channel is not None
    await stack.command("status mitigated", incident.channel.id)
    await eventually(lambda: receiver.named("HandleSignal:change_status"), timeout=20)

    secrets = secret_values(stack.settings)
    assert {stack.fake.bot_token, SIGNING_SECRET} <= set(secrets)
    spans = "\n".join(repr(span) for span in receiver.spans)
    history = await decoded_history(observed, workflow_id)
    assert "mitigated" in history  # decoded: the signal's input is readable here
    for where, text in (("logs", observed.logs()), ("spans", spans), ("history", history)):
        leaked = [secret for secret in secrets if secret in text]
        assert leaked == [], f"secret in {where}"
