"""Traces, configured from the standard OpenTelemetry environment; off, at no cost, when unset.

`OTEL_TRACES_EXPORTER` picks the exporter (`otlp`, `console` or `none`); unset, an OTLP endpoint
(`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) means `otlp` and nothing
means off. `OTEL_EXPORTER_OTLP_PROTOCOL` is `http/protobuf` (the default) or `grpc`; the exporters
read their endpoint, headers and timeout from the environment themselves, and the resource comes
from `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`. Outgoing HTTP (aiohttp: Slack and the
integrations) and PostgreSQL (psycopg) calls are traced by the maintained instrumentations.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import yarl
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
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
    provider.add_span_processor(BatchSpanProcessor(_span_exporter(name, env)))
    return provider


def start_tracing(provider: TracerProvider) -> None:
    """Make `provider` the process's own and trace outgoing HTTP and SQL through it."""
    trace.set_tracer_provider(provider)
    # Spans only: metrics stay the same whether tracing is on or off (telemetry/metrics.py).
    AioHttpClientInstrumentor().instrument(
        tracer_provider=provider, meter_provider=NoOpMeterProvider(), url_filter=public_url
    )
    PsycopgInstrumentor().instrument(tracer_provider=provider)


def public_url(url: yarl.URL) -> str:
    """A URL fit for a span: a Web API method's path is kept (tokens travel in headers), any
    other path (a response_url, a webhook: credentials in themselves) and every query is cut."""
    path = url.path if "/api/" in url.path else "/"
    return str(url.with_path(path).with_query(None).with_fragment(None))


def tracing_interceptor(provider: TracerProvider | None) -> TracingInterceptor | None:
    """Temporal's tracing interceptor on `provider`; none when tracing is off."""
    if provider is None:
        return None
    return TracingInterceptor(provider.get_tracer(TRACER_NAME))


@contextmanager
def signal_span(signal: str, incident_id: str, number: int) -> Iterator[Header | None]:
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
            INCIDENT_NUMBER: number,
        },
    ) as span:
        if not span.is_recording():
            yield None
            return
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        payload: Payload = PayloadConverter.default.to_payloads([carrier])[0]
        yield Header(fields={TRACE_HEADER: payload})
