"""An OTLP/HTTP trace receiver on loopback: what an OpenTelemetry Collector would get.

It decodes the protobuf the real exporter sends (`POST /v1/traces`) into plain spans, so a test
can follow one trace across the bot and worker processes; with `decode=False` (benchmarks) it only
counts what arrives, so that its own work weighs little beside the processes it serves. Metrics
posted to `/v1/metrics` are counted and dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    links: list[str] = field(default_factory=list)  # the span ids linked to
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


@dataclass
class OtlpReceiver:
    url: str = ""
    spans: list[Span] = field(default_factory=list)
    decode: bool = True
    exports: int = 0
    received_bytes: int = 0
    metric_exports: int = 0

    def receive(self, body: bytes) -> None:
        self.exports += 1
        self.received_bytes += len(body)
        if not self.decode:
            return
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            service = str(_attributes(resource_spans.resource.attributes).get("service.name"))
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    self.spans.append(
                        Span(
                            service=service,
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            attributes=_attributes(span.attributes),
                            links=[link.span_id.hex() for link in span.links],
                            events=[(e.name, _attributes(e.attributes)) for e in span.events],
                        )
                    )

    def trace(self, trace_id: str) -> list[Span]:
        return [span for span in self.spans if span.trace_id == trace_id]

    def named(self, name: str) -> list[Span]:
        return [span for span in self.spans if span.name == name]


@asynccontextmanager
async def otlp_receiver(*, decode: bool = True) -> AsyncIterator[OtlpReceiver]:
    """Yields the receiver once it listens; its `url` is the OTLP endpoint to configure."""
    receiver = OtlpReceiver(decode=decode)

    async def traces(request: web.Request) -> web.Response:
        receiver.receive(await request.read())
        return web.Response(
            body=ExportTraceServiceResponse().SerializeToString(),
            content_type="application/x-protobuf",
        )

    async def metrics(request: web.Request) -> web.Response:
        await request.read()
        receiver.metric_exports += 1
        return web.Response(content_type="application/x-protobuf")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/traces", traces)
    app.router.add_post("/v1/metrics", metrics)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield receiver
    finally:
        await runner.cleanup()
