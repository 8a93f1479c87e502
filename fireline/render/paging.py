"""What paging says: the PagerDuty alert's summary and details, and the incident channel's notes
about the page (delayed, refused) and about the on-call people brought in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fireline.models import IncidentSnapshot
from fireline.policy import SeverityPolicy
from fireline.render.incident import Blocks
from fireline.render.text import duration, escape, mrkdwn, truncate

# PagerDuty's alert severities, most severe first; the policy's levels map onto them in order
# (its first level is critical), the least severe ones all being info.
PagerDutySeverity = Literal["critical", "error", "warning", "info"]
PAGERDUTY_SEVERITIES: tuple[PagerDutySeverity, ...] = ("critical", "error", "warning", "info")
SUMMARY_MAX = 1024  # the Events API's limit for payload.summary


def alert_summary(incident: IncidentSnapshot) -> str:
    """`INC-12: title`; a private incident's title never leaves Slack."""
    if incident.declaration.private:
        return f"{incident.reference}: private incident"
    return truncate(f"{incident.reference}: {incident.declaration.title}", SUMMARY_MAX)


def alert_severity(incident: IncidentSnapshot, policy: SeverityPolicy | None) -> PagerDutySeverity:
    names = [level.name for level in policy.levels] if policy else []
    place = names.index(incident.severity.name) if incident.severity.name in names else 0
    return PAGERDUTY_SEVERITIES[min(place, len(PAGERDUTY_SEVERITIES) - 1)]


def alert_details(incident: IncidentSnapshot) -> dict[str, Any]:
    """The declaration, for the responder's phone; only what is not secret for a private one."""
    declaration = incident.declaration
    details: dict[str, Any] = {
        "incident": incident.reference,
        "severity": f"{incident.severity.name} ({incident.severity.label})",
        "status": incident.status.value,
        "commander": incident.commander_id,
        "reporter": declaration.reporter_id,
        "private": declaration.private,
    }
    if not declaration.private:
        details |= {
            "title": declaration.title,
            "description": declaration.description,
            "impact": declaration.impact,
            "tags": declaration.tags,
        }
    return details


def _note(text: str) -> Blocks:
    return [{"type": "section", "text": mrkdwn(text)}]


def page_delayed(incident: IncidentSnapshot, waited_minutes: int) -> Blocks:
    return _note(
        f":rotating_light: *Nobody has been woken yet.* PagerDuty has not accepted the page for "
        f"*{incident.reference}* for {waited_minutes} minutes. Fireline keeps trying; meanwhile "
        "reach on-call another way (phone, the PagerDuty app)."
    )


def page_went_through(incident: IncidentSnapshot, waited_minutes: int) -> Blocks:
    return _note(
        f":pager: PagerDuty accepted the page for *{incident.reference}* after "
        f"{duration(timedelta(minutes=waited_minutes))}: on-call is being notified."
    )


def page_refused(incident: IncidentSnapshot, reason: str) -> Blocks:
    return _note(
        f":warning: *On-call was not paged* for *{incident.reference}*: {escape(reason)}. "
        "Fix the setting on the worker, then page with `/incident page`; reach on-call another "
        "way meanwhile."
    )


def paging_off(incident: IncidentSnapshot) -> Blocks:
    return _note(
        f"Paging is not set up (no PAGERDUTY_ROUTING_KEY on the worker): nobody was paged for "
        f"*{incident.reference}*."
    )


def oncall_unmapped(names: list[str]) -> Blocks:
    """Said once: on-call people Fireline could not find in Slack (no user with their email)."""
    listed = ", ".join(escape(name) for name in names)
    return _note(
        f":bust_in_silhouette: On call in PagerDuty but not found in Slack by email, so not "
        f"invited: {listed}. Bring them in by hand."
    )


def oncall_dm(incident: IncidentSnapshot) -> Blocks:
    channel = f"<#{incident.channel.id}>" if incident.channel else "its channel"
    return _note(
        f":pager: You are on call and *{incident.reference}* "
        f"({escape(incident.severity.name)}) paged on-call, so Fireline invited you to {channel}."
    )


def page_requested(incident: IncidentSnapshot, by: str) -> Blocks:
    return _note(f":pager: <@{by}> asked to page on-call for *{incident.reference}*.")
