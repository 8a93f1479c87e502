"""Log lines: readable text by default, `LOG_FORMAT=json` for one JSON object per line with the
level, logger, message, incident id, trace id and span id. Either way the configured secrets
(tokens, signing secret, keys, the database password) are masked in every line, whatever logged
them."""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from urllib.parse import urlsplit

from opentelemetry import trace
from temporalio import activity, workflow

from fireline.settings import Settings

TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
MASK = "[secret]"

# The incident a bot request or declaration is about, for its log lines (activities and
# workflows know theirs from Temporal).
current_incident: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_incident", default=None
)


def incident_id() -> str | None:
    if activity.in_activity():
        return activity.info().workflow_id
    if workflow.in_workflow():
        return workflow.info().workflow_id
    return current_incident.get()


def secret_values(settings: Settings) -> list[str]:
    """Every secret value the settings hold, longest first (so none is unmasked in part)."""
    values = [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.fireline_encryption_keys,
            settings.codec_server_token,
        )
        if secret is not None
    ]
    if settings.fireline_encryption_keys is not None:
        for pair in settings.fireline_encryption_keys.get_secret_value().split(","):
            values.append(pair.partition(":")[2].strip())
    if settings.database_url:
        password = urlsplit(settings.database_url).password
        if password:
            values.append(password)
    return sorted({value for value in values if len(value) >= 4}, key=len, reverse=True)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            line["trace_id"] = format(context.trace_id, "032x")
            line["span_id"] = format(context.span_id, "016x")
        incident = incident_id()
        if incident:
            line["incident_id"] = incident
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class MaskingFormatter(logging.Formatter):
    """Masks the secrets in whatever the wrapped formatter writes."""

    def __init__(self, inner: logging.Formatter, secrets: list[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        text = self._inner.format(record)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


def configure_logging(settings: Settings) -> None:
    """The root logger's one handler, on stderr, in the format LOG_FORMAT asks for."""
    inner = JsonFormatter() if settings.log_format == "json" else logging.Formatter(TEXT_FORMAT)
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter(inner, secret_values(settings)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
