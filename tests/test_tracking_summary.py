"""The pinned summary links the postmortem doc and the Jira issue, and says what was left out."""

from __future__ import annotations

import json

from fireline.models import IncidentLink
from fireline.render.incident import summary_blocks
from tests.test_records import make_snapshot


def test_summary_links_doc_and_issue_and_says_what_was_left_out() -> None:
    snapshot = make_snapshot(
        links=[
            IncidentLink(kind="notion_page", external_id="p1", url="https://www.notion.so/p1"),
            IncidentLink(kind="jira_issue", external_id="FIRE-1", url="https://j/browse/FIRE-1"),
            IncidentLink(kind="jira_followup", external_id="FIRE-2", url="https://j/browse/FIRE-2"),
        ],
        left_out=["No Jira issue: private incidents get none in the shared project <here>"],
    )
    text = json.dumps(summary_blocks(snapshot))
    assert "<https://www.notion.so/p1|Postmortem>" in text
    assert "<https://j/browse/FIRE-1|Jira FIRE-1>" in text
    assert "FIRE-2" not in text  # follow-ups are listed in the doc
    assert "shared project &lt;here&gt;" in text
    assert "Postmortem" not in json.dumps(summary_blocks(make_snapshot()))
