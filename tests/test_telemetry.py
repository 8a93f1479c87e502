"""Telemetry configuration and its parts that need no server: which exporter the environment
asks for, what a span may say, the log formats and their masking of secrets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import yarl
from opentelemetry.sdk.trace import TracerProvider
from temporalio.testing import ActivityEnvironment

from fireline.devstack.localpg import free_port
from fireline.settings import Settings, SettingsError
from fireline.telemetry.bolt import describe
from fireline.telemetry.logs import (
    MASK,
    JsonFormatter,
    MaskingFormatter,
    current_incident,
    secret_values,
)
from fireline.telemetry.tracing import (
    otlp_protocol,
    public_url,
    tracer_provider_from_env,
    traces_exporter,
    tracing_interceptor,
)
from tests.fakes.otlp import otlp_receiver
from tests.fixtures.temporal import TEST_ENCRYPTION_KEYS
from tests.test_settings import assert_one_line_error, run_cli, slack_env

ENDPOINT = "http://127.0.0.1:4318"


@pytest.mark.parametrize(
    ("env", "exporter"),
    [
        ({}, "none"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": ENDPOINT + "/v1/traces"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "console"}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": ENDPOINT}, "none"),
        ({"OTEL_TRACES_EXPORTER": "OTLP"}, "otlp"),
    ],
)
def test_the_environment_picks_the_exporter(env: dict[str, str], exporter: str) -> None:
    assert traces_exporter(env) == exporter


def test_an_unknown_exporter_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"^OTEL_TRACES_EXPORTER: must be one of"):
        traces_exporter({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_tracing_is_off_without_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    provider = tracer_provider_from_env("fireline-test")
    assert provider is None
    assert tracing_interceptor(provider) is None


def test_the_service_is_named_by_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging")
    provider = tracer_provider_from_env("fireline-worker")
    assert isinstance(provider, TracerProvider)
    attributes = provider.resource.attributes
    assert attributes["service.name"] == "fireline-worker"
    assert attributes["deployment.environment"] == "staging"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "incidents-worker")
    renamed = tracer_provider_from_env("fireline-worker")
    assert renamed is not None and renamed.resource.attributes["service.name"] == "incidents-worker"
    provider.shutdown()
    renamed.shutdown()


def test_a_bad_exporter_stops_the_command_with_one_line(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "bot", **slack_env(OTEL_TRACES_EXPORTER="zipkin"))
    assert_one_line_error(result, "OTEL_TRACES_EXPORTER")


async def test_metrics_are_pushed_over_otlp_when_asked() -> None:
    script = (
        "from fireline.telemetry.setup import start\n"
        "from fireline.telemetry.metrics import INCIDENTS_DECLARED\n"
        "start('fireline-test')\n"
        "INCIDENTS_DECLARED.add(1, {'severity': 'SEV1', 'private': 'false'})\n"
    )
    async with otlp_receiver() as receiver:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            env={
                "OTEL_METRICS_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
                "PATH": "/usr/bin:/bin",
            },
        )
        # The provider pushes what it holds when the process exits.
        assert await process.wait() == 0
    assert receiver.metric_exports >= 1


def test_a_bad_protocol_is_refused() -> None:
    env = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}
    with pytest.raises(SettingsError, match=r"^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: must be"):
        otlp_protocol(env, "TRACES")
    assert otlp_protocol({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "METRICS") == "grpc"


def test_the_console_exporter_prints_spans() -> None:
    script = (
        "from fireline.telemetry.setup import start\n"
        "from opentelemetry import trace\n"
        "start('fireline-test')\n"
        "with trace.get_tracer('t').start_as_current_span('hello'): pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"OTEL_TRACES_EXPORTER": "console", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    span = json.loads(result.stdout)
    assert span["name"] == "hello"
    assert span["resource"]["attributes"]["service.name"] == "fireline-test"


def test_integration_calls_through_requests_are_traced_without_their_query() -> None:
    """atlassian-python-api (Jira, Confluence) calls over requests; a refused connection still
    makes its span."""
    port = free_port()
    script = (
        "import requests\n"
        "from fireline.telemetry.setup import start\n"
        "start('fireline-test')\n"
        "try:\n"
        f"    url = 'http://127.0.0.1:{port}/rest/api/2/search?jql=text~Payroll'\n"
        "    requests.get(url, timeout=2)\n"
        "except requests.ConnectionError:\n"
        "    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"OTEL_TRACES_EXPORTER": "console", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    span = json.loads(result.stdout)
    assert span["name"] == "GET"
    assert span["attributes"]["http.url"] == f"http://127.0.0.1:{port}/rest/api/2/search"
    assert "Payroll" not in result.stdout


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://slack.com/api/chat.postMessage?x=1", "https://slack.com/api/chat.postMessage"),
        ("https://hooks.slack.com/commands/T1/123/abcsecret", "https://hooks.slack.com/"),
        ("http://127.0.0.1:9/response/0123abcd", "http://127.0.0.1:9/"),
        ("https://api.notion.com/v1/search?query=Payroll", "https://api.notion.com/v1/search"),
        (
            "https://u:p@acme.atlassian.net/rest/api/2/issue",
            "https://acme.atlassian.net/rest/api/2/issue",
        ),
    ],
)
def test_a_span_keeps_api_methods_and_cuts_credentials_in_urls(url: str, shown: str) -> None:
    assert public_url(yarl.URL(url)) == shown


@pytest.mark.parametrize(
    ("body", "kind", "ids"),
    [
        ({"command": "/incident", "text": "status secret words"}, "slash_command", {
            "slack.command": "/incident"
        }),
        ({"type": "view_submission", "view": {"callback_id": "declare_incident"}},
         "view_submission", {"slack.callback_id": "declare_incident"}),
        ({"type": "block_actions", "actions": [{"action_id": "incident_status", "value": "x"}]},
         "block_actions", {"slack.callback_id": "incident_status"}),
        ({"type": "shortcut", "callback_id": "declare_incident"}, "shortcut",
         {"slack.callback_id": "declare_incident"}),
        ({"type": "event_callback", "event": {"type": "app_mention", "text": "secret"}},
         "event", {"slack.event": "app_mention"}),
    ],
)  # fmt: skip
def test_a_request_span_names_what_the_request_is_for_without_its_text(
    body: dict[str, object], kind: str, ids: dict[str, str]
) -> None:
    assert describe(body) == (kind, ids)
    assert "secret" not in str(describe(body))


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("bot.test", logging.WARNING, __file__, 1, message, args, None)


def test_a_json_line_carries_the_incident_and_the_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    token = current_incident.set("incident-T1-V1")
    try:
        with tracer.start_as_current_span("work") as span:
            line = json.loads(JsonFormatter().format(record("hello %s", "there")))
            context = span.get_span_context()
    finally:
        current_incident.reset(token)
    assert line["level"] == "WARNING" and line["logger"] == "bot.test"
    assert line["message"] == "hello there"
    assert line["incident_id"] == "incident-T1-V1"
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")


def test_secrets_are_masked_in_every_line() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-real-token",
        slack_signing_secret="signing-secret-value",
        fireline_encryption_keys=TEST_ENCRYPTION_KEYS,
        database_url="postgresql://fireline:db-password-9@db:5432/fireline",
    )
    secrets = secret_values(settings)
    key = TEST_ENCRYPTION_KEYS.partition(":")[2]
    for formatter in (JsonFormatter(), logging.Formatter("%(message)s")):
        masked = MaskingFormatter(formatter, secrets).format(
            record(
                "token %s secret %s url %s key %s",
                "xoxb-real-token",
                "signing-secret-value",
                settings.database_url,
                key,
            )
        )
        for secret in ("xoxb-real-token", "signing-secret-value", "db-password-9", key):
            assert secret not in masked
        assert masked.count(MASK) == 4


def test_a_line_logged_in_an_activity_names_its_incident() -> None:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_id="incident-T1-V2")
    line = env.run(lambda: json.loads(JsonFormatter().format(record("posting"))))
    assert line["incident_id"] == "incident-T1-V2"
