"""Telemetry of one process. `start()` runs once at process start (fireline.cli): it configures
tracing from the OpenTelemetry environment (off when unset), Fireline's metrics with a Prometheus
reader (and OTLP when `OTEL_METRICS_EXPORTER=otlp`), and a Temporal runtime whose SDK metrics the
process's `/metrics` relays.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry
from temporalio.client import Interceptor as ClientInterceptor
from temporalio.runtime import Runtime

from fireline.settings import SettingsError
from fireline.telemetry.sdk_metrics import temporal_runtime
from fireline.telemetry.tracing import (
    otlp_protocol,
    resource,
    start_tracing,
    tracer_provider_from_env,
    tracing_interceptor,
)


@dataclass
class Telemetry:
    """What one process set up: the tracer provider (None: tracing off), the registry its
    `/metrics` serves, and the Temporal runtime whose SDK metrics it relays."""

    tracer_provider: TracerProvider | None
    registry: CollectorRegistry
    runtime: Runtime
    sdk_metrics_url: str
    interceptors: Sequence[ClientInterceptor] = field(default_factory=list)


def start(service: str) -> Telemetry:
    """Configure this process's telemetry; `service` names it unless OTEL_SERVICE_NAME does."""
    provider = tracer_provider_from_env(service)
    if provider is not None:
        start_tracing(provider)
    registry = CollectorRegistry()
    readers: list[MetricReader] = [PrometheusMetricReader(registry=registry)]
    if _metrics_exporter(os.environ) == "otlp":
        readers.append(PeriodicExportingMetricReader(_otlp_metric_exporter()))
    metrics.set_meter_provider(MeterProvider(metric_readers=readers, resource=resource(service)))
    runtime, sdk_metrics_url = temporal_runtime()
    interceptor = tracing_interceptor(provider)
    return Telemetry(
        tracer_provider=provider,
        registry=registry,
        runtime=runtime,
        sdk_metrics_url=sdk_metrics_url,
        interceptors=[interceptor] if interceptor is not None else [],
    )


def _otlp_metric_exporter() -> MetricExporter:
    if otlp_protocol(os.environ, "METRICS") == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter as GrpcExporter,
        )

        return GrpcExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def _metrics_exporter(env: Mapping[str, str]) -> str:
    """Metrics always go to `/metrics`; `OTEL_METRICS_EXPORTER=otlp` pushes them as well."""
    named = env.get("OTEL_METRICS_EXPORTER", "").strip().lower() or "prometheus"
    if named not in ("prometheus", "otlp", "none"):
        raise SettingsError("OTEL_METRICS_EXPORTER: must be one of prometheus, otlp, none")
    return named
