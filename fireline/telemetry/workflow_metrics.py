"""Metrics the incident workflow records itself, through Temporal's workflow meter: replay-safe
(nothing is recorded again while a history replays) and served with the SDK's metrics on the
worker's `/metrics`. Labels are step names and reminder kinds, never an incident's content."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

STEPS_GIVEN_UP = "fireline_steps_given_up"
REMINDERS_POSTED = "fireline_reminders_posted"
REMINDER_LAG = "fireline_reminder_lag_seconds"


def step_given_up(err: ActivityError) -> None:
    """A best-effort step given up after its budget, by the activity it ran: a name from code,
    so the label stays bounded (the step's description can name the incident)."""
    workflow.metric_meter().create_counter(
        STEPS_GIVEN_UP, "Best-effort steps given up after their retry budget, by activity"
    ).add(1, {"step": err.activity_type or "unknown"})


def reminder_posted(kind: str, lag: timedelta) -> None:
    """A reminder reached Slack `lag` after it fell due."""
    meter = workflow.metric_meter()
    meter.create_counter(REMINDERS_POSTED, "Reminders and nudges posted").add(1, {"kind": kind})
    meter.create_histogram_float(
        REMINDER_LAG, "From a reminder falling due to its post in Slack", "s"
    ).record(max(lag.total_seconds(), 0.0), {"kind": kind})
