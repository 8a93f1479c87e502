"""The open-incidents gauge: counted from Temporal's visibility by severity and status, over the
worker's own task queue, and a pair no longer open reads 0 rather than vanishing."""

from __future__ import annotations

from pathlib import Path

from opentelemetry.metrics import CallbackOptions
from temporalio.testing import WorkflowEnvironment

from fireline import policies
from fireline.telemetry.metrics import observe_open, set_open_incidents
from fireline.telemetry.open_incidents import count_open, levels_to_count
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.stack import COMMANDER, fireline_stack

LEVELS = ["SEV1", "SEV2", "SEV3"]


async def test_open_incidents_are_counted_by_severity_and_status(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        queue = stack.settings.temporal_task_queue
        first = await stack.declared_in_channel(severity="SEV1", commander=COMMANDER)
        await stack.declared_in_channel(severity="SEV2", commander=COMMANDER)
        assert first.channel is not None
        await stack.command("status mitigated", first.channel.id)

        async def counted() -> dict[tuple[str, str], int]:
            counts = await count_open(dev_server.client, queue, LEVELS)
            assert counts == {("SEV1", "mitigated"): 1, ("SEV2", "investigating"): 1}, counts
            return counts

        counts = await eventually(counted)
        # A level the policy no longer names: counted, under an unknown severity.
        assert await count_open(dev_server.client, queue, ["SEV1"]) == {
            ("SEV1", "mitigated"): 1,
            ("unknown", "investigating"): 1,
        }
        assert await count_open(dev_server.client, "fireline-other-deployment", LEVELS) == {}

    set_open_incidents(counts)
    set_open_incidents({("SEV2", "investigating"): 1})
    observed = {
        (o.attributes["severity"], o.attributes["status"]): o.value
        for o in observe_open(CallbackOptions())
        if o.attributes is not None
    }
    assert observed == {("SEV1", "mitigated"): 0, ("SEV2", "investigating"): 1}


def test_a_worker_without_the_policy_file_counts_by_the_built_in_levels(tmp_path: Path) -> None:
    shipped = Path(policies.__file__).with_name("p1-p5.toml")
    assert levels_to_count(shipped) == ["P1", "P2", "P3", "P4", "P5"]
    # The policy file mounted into the bot only: the worker still starts and counts.
    assert levels_to_count(tmp_path / "severity.toml") == ["SEV1", "SEV2", "SEV3", "SEV4"]
