"""What it costs the worker to replay an incident: the work behind every workflow task for an
incident that is not in the workflow cache (an evicted incident whose reminder falls due).

Each committed history (tests/workflows/histories) is replayed `--runs` times, with the SDK's
sandbox and with the worker's (fireline/workflow_runner.py), through the same encrypting data
converter the tests use. Printed per history and runner: events, CPU milliseconds per replay.
Parsing the JSON histories is done before the clock starts.

    uv run python -m bench.replay [--runs 200] [--history incident_reminded]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from fireline.workflow_runner import WorkflowRunner
from tests.fixtures.temporal import TEST_CONVERTER
from workflows.counter import IncidentCounterWorkflow
from workflows.incident import IncidentWorkflow

HISTORIES = Path(__file__).parents[1] / "tests" / "workflows" / "histories"
RUNNERS = {"sdk sandbox": SandboxedWorkflowRunner, "fireline runner": WorkflowRunner}


async def cpu_ms_per_replay(runner: SandboxedWorkflowRunner, text: str, runs: int) -> float:
    replayer = Replayer(
        workflows=[IncidentWorkflow, IncidentCounterWorkflow],
        data_converter=TEST_CONVERTER,
        workflow_runner=runner,
    )
    histories = [WorkflowHistory.from_json(f"incident-{run}", text) for run in range(runs)]

    async def each() -> AsyncIterator[WorkflowHistory]:
        for history in histories:
            yield history

    await replayer.replay_workflow(histories[0])  # imports and first-use costs, not counted
    started = time.process_time()
    async with replayer.workflow_replay_iterator(each()) as results:
        async for result in results:
            if result.replay_failure is not None:
                raise result.replay_failure
    return (time.process_time() - started) / runs * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--history", action="append", help="a file name in tests/workflows/histories, without .json"
    )
    args = parser.parse_args()
    names = args.history or sorted(p.stem for p in HISTORIES.glob("incident_*.json"))
    print(f"{'history':32} {'events':>6}  " + "  ".join(f"{name:>15}" for name in RUNNERS))
    for name in names:
        text = (HISTORIES / f"{name}.json").read_text()
        events = len(WorkflowHistory.from_json(name, text).events)
        figures = [
            await cpu_ms_per_replay(runner(), text, args.runs) for runner in RUNNERS.values()
        ]
        print(f"{name:32} {events:6}  " + "  ".join(f"{ms:12.1f} ms" for ms in figures))


if __name__ == "__main__":
    asyncio.run(main())
