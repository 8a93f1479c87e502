"""The metrics the incident workflow records through Temporal's meter: steps given up, reminders
posted and their lag. Read from the client runtime's metric buffer, on the time-skipping server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio.runtime import MetricBuffer, Runtime, TelemetryConfig
from temporalio.testing import WorkflowEnvironment

from fireline.telemetry.workflow_metrics import REMINDER_LAG, REMINDERS_POSTED, STEPS_GIVEN_UP
from tests.fixtures.temporal import time_skipping_server
from tests.helpers import eventually
from tests.workflows.test_changes import running
from tests.workflows.test_incident_workflow import FakeActivities, declare_input, run_declaration
from tests.workflows.test_reminders import declared, posted


class Recorded:
    def __init__(self, buffer: MetricBuffer) -> None:
        self._buffer = buffer
        self.updates: list[tuple[str, dict[str, object], float]] = []

    def of(self, name: str) -> list[tuple[dict[str, object], float]]:
        for update in self._buffer.retrieve_updates():
            self.updates.append((update.metric.name, dict(update.attributes), update.value))
        return [(attributes, value) for named, attributes, value in self.updates if named == name]


@pytest.fixture
async def metered() -> AsyncIterator[tuple[WorkflowEnvironment, Recorded]]:
    buffer = MetricBuffer(10_000)
    async with time_skipping_server(Runtime(telemetry=TelemetryConfig(metrics=buffer))) as env:
        yield env, Recorded(buffer)


async def test_a_step_given_up_is_counted_by_its_activity(
    metered: tuple[WorkflowEnvironment, Recorded],
) -> None:
    env, recorded = metered
    fakes = FakeActivities(bookmark_fails=True)
    incident = await run_declaration(env, fakes, declare_input())
    assert any(problem.startswith("Gave up trying to bookmark") for problem in incident.problems)

    given_up = recorded.of(STEPS_GIVEN_UP)
    assert [(attributes["step"], value) for attributes, value in given_up] == [("add_bookmark", 1)]


async def test_a_posted_reminder_is_counted_with_its_lag(
    metered: tuple[WorkflowEnvironment, Recorded],
) -> None:
    env, recorded = metered
    fakes = FakeActivities()
    async with running(env, fakes) as handle:
        await declared(handle)
        assert recorded.of(REMINDERS_POSTED) == []
        await env.sleep(timedelta(minutes=31))
        await eventually(lambda: len(posted(fakes)) == 1)
        counted = await eventually(lambda: recorded.of(REMINDERS_POSTED))

    assert [(attributes["kind"], value) for attributes, value in counted] == [("update", 1)]
    ((attributes, lag),) = recorded.of(REMINDER_LAG)
    assert attributes["kind"] == "update"
    # Due 30 minutes after the declaration and posted at once: the lag is the post itself.
    assert 0 <= lag < 60
