"""The PostgreSQL record, kept by its own loop so the incident never waits on the database."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    import fireline.search_attributes as search_attributes
    import workflows.patches as patches
    from activities.numbers import NumberActivities
    from activities.records import RecordActivities, is_number_taken
    from activities.slack import SlackActivities
    from activities.types import RenameChannelInput
    from fireline.models import RecordInput, RenumberInput
    from workflows.activity_options import BEST_EFFORT, ESSENTIAL, RECORD
    from workflows.incident.state import IncidentState
    from workflows.incident.steps import upsert_summary


# How long a new incident's first write waits for the declaration to finish. Usually it does in
# well under a second, and one write records the incident with its channel and summary; with
# Slack slow or down, the record still exists this soon.
FIRST_RECORD_WAIT = timedelta(seconds=5)


async def keep_record(state: IncidentState) -> None:
    """Write the incident whenever it changed since the last write; runs until cancelled."""
    if state.recorded_version == 0 and patches.patched(patches.ONE_RECORD_AT_DECLARATION):
        # Past the wait: recorded now, and again once the declaration is done.
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: state.incident.declaration_complete,
                timeout=FIRST_RECORD_WAIT,
                timeout_summary="wait for the declaration, to record the incident whole",
            )
    while True:
        await workflow.wait_condition(lambda: state.recorded_version < state.version)
        version = state.version
        incident = state.incident
        events = list(state.unrecorded)
        try:
            if patches.patched(patches.RECORD_TIMELINE):
                await workflow.execute_activity_method(
                    RecordActivities.record_changes,
                    RecordInput(incident=incident.model_copy(deep=True), events=events),
                    summary=f"record {incident.reference} in PostgreSQL"
                    + (f" with {len(events)} timeline events" if events else ""),
                    **RECORD,
                )
            else:
                await workflow.execute_activity_method(
                    RecordActivities.record_incident,
                    incident.model_copy(deep=True),
                    summary=f"record {incident.reference} in PostgreSQL",
                    **RECORD,
                )
            state.unrecorded = state.unrecorded[len(events) :]
        except ActivityError as err:
            if is_number_taken(err) and patches.patched(patches.RENUMBER_TAKEN_NUMBER):
                await _renumber(state)
                continue
            # Only non-retryable errors end up here (bad data); the next change tries again.
            workflow.logger.error("recording %s failed: %s", incident.reference, err.cause)
        state.recorded_version = version


async def _renumber(state: IncidentState) -> None:
    """The record holds this incident's number for another one (the counter started over and
    could not read the record): take a fresh number and show it where the old one showed. The
    record loop writes the incident again after."""
    incident = state.incident
    incident.number = await workflow.execute_activity_method(
        NumberActivities.renumber_incident,
        RenumberInput(incident_id=incident.incident_id, taken=incident.number),
        summary=f"replace {incident.reference}, which the record holds for another incident",
        **ESSENTIAL,
    )
    workflow.upsert_search_attributes(
        [search_attributes.INCIDENT_NUMBER.value_set(incident.number)]
    )
    state.show_details()
    # Steps already running were given the old number: rename and re-render after them.
    await workflow.wait_condition(lambda: incident.declaration_complete)
    assert incident.channel is not None
    try:
        incident.channel = await workflow.execute_activity_method(
            SlackActivities.rename_incident_channel,
            RenameChannelInput(
                channel_id=incident.channel.id,
                number=incident.number,
                title=incident.declaration.title,
            ),
            summary=f"rename {state.where()} after {incident.reference}",
            **BEST_EFFORT,
        )
    except ActivityError as err:
        workflow.logger.warning("could not rename %s's channel: %s", incident.reference, err.cause)
    await upsert_summary(state, pin=False)
