"""Recorded histories still replay with today's workflow code: running incidents survive a deploy.

A failure here means a change is not deterministic for workflows already running; guard it with
`workflow.patched` rather than re-recording (see record_histories.py).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from fireline.workflow_runner import WorkflowRunner
from tests.fixtures.temporal import TEST_CONVERTER
from tests.history import LOCAL_ACTIVITY_MARKER
from workflows.counter import IncidentCounterWorkflow
from workflows.incident import IncidentWorkflow

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


@pytest.mark.parametrize("path", HISTORIES, ids=[path.stem for path in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())  # noqa: ASYNC240 (tiny file)
    # The histories were recorded unencrypted; the encrypting converter passes them through.
    replayer = Replayer(
        workflows=[IncidentWorkflow, IncidentCounterWorkflow],
        data_converter=TEST_CONVERTER,
        workflow_runner=WorkflowRunner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


def test_every_workflow_has_a_recorded_history() -> None:
    recorded = " ".join(path.read_text() for path in HISTORIES)
    for workflow_type in ("IncidentWorkflow", "IncidentCounter"):
        assert f'"name": "{workflow_type}"' in recorded


def test_an_incident_with_timers_and_continue_as_new_is_recorded() -> None:
    """Both sides of the switch: a run that fired timers and continued as new, and one started
    from the state it carried."""
    incidents = [p.read_text() for p in HISTORIES if '"name": "IncidentWorkflow"' in p.read_text()]
    assert any(
        "EVENT_TYPE_TIMER_FIRED" in text
        and "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW" in text
        for text in incidents
    )
    assert any('"continuedExecutionRunId"' in text for text in incidents)


def test_an_incident_with_its_postmortem_doc_and_jira_issue_is_recorded() -> None:
    """The doc and the issue made, the issue commented (naming people), the doc's header
    updated and its timeline filled from the channel, the issue closed."""
    tracked = [p.read_text() for p in HISTORIES if '"name": "ensure_jira_issue"' in p.read_text()]
    assert any(
        all(
            f'"name": "{activity}"' in text
            for activity in (
                "ensure_postmortem_doc",
                "comment_jira_issue",
                "user_names",
                "update_postmortem_header",
                "channel_transcript",
                "write_postmortem_section",
                "close_jira_issue",
            )
        )
        for text in tracked
    )


def test_summary_updates_tried_in_the_workflow_task_are_recorded() -> None:
    """Summary updates run as local activities, and one queued after its attempt there hung."""
    recorded = " ".join(path.read_text() for path in HISTORIES)
    queued = json.dumps("update the summary in #inc-42-x (again, queued: Slack was slow or failed)")
    assert f'"markerName": "{LOCAL_ACTIVITY_MARKER}"' in recorded
    assert base64.b64encode(queued.encode()).decode() in recorded
