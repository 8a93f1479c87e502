"""What an operator reads in the Temporal UI: the incident's summary and details, and a summary on
every activity (local ones too) and timer, none of which reveals a private incident's title."""

from __future__ import annotations

from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.history import step_summaries
from tests.stack import fireline_stack


async def operator_view(
    handle: WorkflowHandle[object, object], converter: DataConverter
) -> tuple[str, str, list[str]]:
    """(static summary, current details, summary of every activity and timer scheduled)."""
    description = await handle.describe()
    static = await description.static_summary()
    metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    summaries = await step_summaries(await handle.fetch_history(), converter)
    return static or "", metadata.current_details, summaries


async def test_an_incident_reads_as_what_it_is(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        workflow_id = await stack.declare(title="Checkout is failing", severity="SEV2")
        incident = await stack.declared(workflow_id)
        assert incident.channel is not None
        await stack.command("status identified", incident.channel.id)
        updated = f"update the summary in #{incident.channel.name}"

        async def seen() -> tuple[str, str, list[str]] | None:
            view = await operator_view(stack.handle(workflow_id), stack.temporal.data_converter)
            return view if updated in view[2] else None

        static, details, summaries = await eventually(seen)

    assert static == f"{incident.reference} · SEV2: Checkout is failing"
    assert static in details and "Status: identified" in details
    assert f"post and pin the summary in #{incident.channel.name}" in summaries
    assert "announce the incident in the feed channel" in summaries
    assert f"record {incident.reference} in PostgreSQL" in summaries


async def test_a_private_incident_shows_no_title(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        workflow_id = await stack.declare(title="Layoffs leaked", severity="SEV1", private=True)
        incident = await stack.declared(workflow_id)
        assert incident.channel is not None
        await stack.command("status identified", incident.channel.id)

        async def seen() -> tuple[str, str, list[str]] | None:
            view = await operator_view(stack.handle(workflow_id), stack.temporal.data_converter)
            return view if "update the summary in the incident channel" in view[2] else None

        static, details, summaries = await eventually(seen)

    assert static == f"{incident.reference} · SEV1: private incident"
    assert static in details and "Status: identified" in details
    assert "post and pin the summary in the incident channel" in summaries
    for shown in (static, details, *summaries):
        assert "layoffs" not in shown.lower(), shown
        assert incident.channel.name not in shown, shown
