"""Traces, configured from the standard OpenTelemetry environment; off, at no cost, when unset.

`OTEL_TRACES_EXPORTER` picks the exporter (`otlp`, `console` or `none`); unset, an OTLP endpoint
(`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) means `otlp` and nothing
means off. `OTEL_EXPORTER_OTLP_PROTOCOL` is `http/protobuf` (the default) or `grpc`; the exporters
read their endpoint, headers and timeout from the environment themselves, and the resource comes
from `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`. Outgoing HTTP (aiohttp: Slack and the
integrations) and PostgreSQL (psycopg) calls are traced by the maintained instrumentations.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import yarl
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Status
from temporalio.api.common.v1 import Header, Payload
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.converter import PayloadConverter

from fireline.settings import SettingsError

EXPORTERS = ("otlp", "console", "none")
PROTOCOLS = ("http/protobuf", "grpc")
# The header TracingInterceptor reads on the worker (temporalio.contrib.opentelemetry).
TRACE_HEADER = "_tracer-data"
TRACER_NAME = "fireline"
# Span attributes naming the incident a span works for.
INCIDENT_ID = "fireline.incident.id"
INCIDENT_NUMBER = "fireline.incident.number"


def traces_exporter(env: Mapping[str, str]) -> str:
    """Which exporter the environment asks for: otlp, console or none (off)."""
    named = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not named:
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        return "otlp" if endpoint else "none"
    if named not in EXPORTERS:
        raise SettingsError(f"OTEL_TRACES_EXPORTER: must be one of {', '.join(EXPORTERS)}")
    return named


def otlp_protocol(env: Mapping[str, str], signal: str) -> str:
    """`http/protobuf` or `grpc`, for `signal` (TRACES, METRICS) or all of them."""
    named = f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL"
    variable = named if env.get(named) else "OTEL_EXPORTER_OTLP_PROTOCOL"
    protocol = (env.get(variable) or "http/protobuf").strip()
    if protocol not in PROTOCOLS:
        raise SettingsError(f"{variable}: must be one of {', '.join(PROTOCOLS)}")
    return protocol


def _span_exporter(name: str, env: Mapping[str, str]) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    if otlp_protocol(env, "TRACES") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def resource(service: str) -> Resource:
    """The environment's resource; `service` names it unless OTEL_SERVICE_NAME or
    OTEL_RESOURCE_ATTRIBUTES does."""
    found = Resource.create()
    if str(found.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        found = found.merge(Resource({SERVICE_NAME: service}))
    return found


def tracer_provider_from_env(service: str) -> TracerProvider | None:
    """The process's tracer provider, or None when tracing is off."""
    env = os.environ
    name = traces_exporter(env)
    if name == "none":
        return None
    provider = TracerProvider(resource=resource(service))
    provider.add_span_processor(BatchSpanProcessor(PublicUrlsExporter(_span_exporter(name, env))))
    return provider


def start_tracing(provider: TracerProvider) -> None:
    """Make `provider` the process's own and trace outgoing HTTP and SQL through it: aiohttp
    (Slack), httpx and requests (the integrations' clients, where installed), psycopg."""
    trace.set_tracer_provider(provider)
    # Spans only: metrics stay the same whether tracing is on or off (telemetry/metrics.py).
    no_metrics = NoOpMeterProvider()
    AioHttpClientInstrumentor().instrument(
        tracer_provider=provider, meter_provider=no_metrics, url_filter=public_url
    )
    if importlib.util.find_spec("httpx") is not None:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument(
            tracer_provider=provider,
            meter_provider=no_metrics,
            request_hook=_public_httpx_url,
            async_request_hook=_public_httpx_url_async,
        )
    if importlib.util.find_spec("requests") is not None:
        from opentelemetry.instrumentation.requests import RequestsInstrumentor

        RequestsInstrumentor().instrument(
            tracer_provider=provider, meter_provider=no_metrics, request_hook=_public_requests_url
        )
    PsycopgInstrumentor().instrument(tracer_provider=provider)


# Paths of API calls, kept on spans; any other path is cut (a Slack response_url or webhook is a
# credential in itself).
API_PATHS = ("/api/", "/rest/", "/v1/", "/v2/")


def public_url(url: yarl.URL) -> str:
    """A URL fit for a span: an API call's path is kept (tokens travel in headers), any other
    path and every query (search terms, titles) is cut."""
    path = url.path if any(part in url.path for part in API_PATHS) else "/"
    return str(url.with_path(path).with_query(None).with_fragment(None).with_user(None))


_URL = re.compile(r"https?://[^\s'\"()<>]+")
# A path with its query, as some clients quote it ("url: /rest/api/2/search?jql=...").
_PATH_QUERY = re.compile(r"(/[^\s'\"()<>?]*)\?[^\s'\"()<>]*")


def public_urls(text: str) -> str:
    """`text` with every URL in it as public_url shows it, and no path's query."""
    text = _URL.sub(lambda found: public_url(yarl.URL(found.group())), text)
    return _PATH_QUERY.sub(r"\1", text)


class PublicUrlsExporter(SpanExporter):
    """Shows URLs in exception messages and statuses as the URL attributes show them, before
    spans leave the process: a failed call's exception quotes its whole URL, query and all."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._inner.export([_with_public_urls(span) for span in spans])

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _with_public_urls(span: ReadableSpan) -> ReadableSpan:
    if not span.events and not span.status.description:
        return span  # most spans: nothing that could quote a URL
    events = [
        Event(
            event.name,
            {
                key: public_urls(value) if isinstance(value, str) else value
                for key, value in (event.attributes or {}).items()
            },
            event.timestamp,
        )
        for event in span.events
    ]
    status = Status(span.status.status_code, public_urls(span.status.description or "") or None)
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _set_public_url(span: trace.Span, url: object) -> None:
    shown = public_url(yarl.URL(str(url)))
    span.set_attribute("url.full", shown)
    span.set_attribute("http.url", shown)


def _public_httpx_url(span: trace.Span, request: Any) -> None:
    _set_public_url(span, request.url)


async def _public_httpx_url_async(span: trace.Span, request: Any) -> None:
    _set_public_url(span, request.url)


def _public_requests_url(span: trace.Span, request: Any) -> None:
    _set_public_url(span, request.url)


def tracing_interceptor(provider: TracerProvider | None) -> TracingInterceptor | None:
    """Temporal's tracing interceptor on `provider`; none when tracing is off."""
    if provider is None:
        return None
    return TracingInterceptor(provider.get_tracer(TRACER_NAME))


@contextmanager
def signal_span(signal: str, incident_id: str, number: int | None) -> Iterator[Header | None]:
    """A span like the interceptor's for a signal sent past the client's interceptors (a raw
    SignalWorkflowExecution); yields the header that carries it to the workflow, None when
    tracing is off."""
    tracer = trace.get_tracer(TRACER_NAME)
    with tracer.start_as_current_span(
        f"SignalWorkflow:{signal}",
        kind=trace.SpanKind.CLIENT,
        attributes={
            "temporalWorkflowID": incident_id,
            INCIDENT_ID: incident_id,
            **({} if number is None else {INCIDENT_NUMBER: number}),
        },
    ) as span:
        if not span.is_recording():
            yield None
            return
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        payload: Payload = PayloadConverter.default.to_payloads([carrier])[0]
        yield Header(fields={TRACE_HEADER: payload})
