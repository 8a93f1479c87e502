"""The declaration modal refuses bad input field by field, and nothing happens until it is valid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

import fireline
from fireline.db.queries import fetch_incident
from fireline.models import TEXT_MAX, TITLE_MAX
from tests.fakes.slack import FakeSlack
from tests.helpers import eventually
from tests.slack_requests import BotResponse
from tests.stack import LOOKER, REPORTER, Stack, fireline_stack

P1_P5 = Path(fireline.__file__).parent / "policies" / "p1-p5.toml"

TAGGED_POLICY = """
default = "SEV2"
tags = ["database", "payments"]

[[levels]]
name = "SEV1"
label = "critical"

[[levels]]
name = "SEV2"
label = "major"
"""


def errors_of(response: BotResponse) -> dict[str, str]:
    """The field errors of a `response_action: errors` ack (and nothing else in the body)."""
    assert response.status == 200, response.text
    body = response.json
    assert isinstance(body, dict), response.text
    assert set(body) == {"response_action", "errors"}, body
    assert body["response_action"] == "errors"
    errors = body["errors"]
    assert isinstance(errors, dict) and errors, body
    assert all(isinstance(message, str) and message.strip() for message in errors.values())
    return errors


async def assert_not_started(stack: Stack, workflow_id: str) -> None:
    with pytest.raises(RPCError) as raised:
        await stack.handle(workflow_id).describe()
    assert raised.value.status == RPCStatusCode.NOT_FOUND


async def rejected(stack: Stack, **fields: Any) -> dict[str, str]:
    """Submit a fresh form with `fields` as REPORTER; return its field errors once it is certain
    that the rejected submission set nothing off: no workflow, no channel, not a word to anyone."""
    bad = await stack.open_form()
    barrier = await stack.open_form(user_id=LOOKER)
    before = len(stack.fake.calls())

    errors = errors_of(await stack.submit(bad, **fields))

    # Another user's valid submission, sent after the bad one: once it is fully declared, anything
    # the bad one had set off in the background would have happened too.
    ok = await stack.submit(
        barrier, user_id=LOOKER, title="Barrier", severity=stack.policy.default, commander=LOOKER
    )
    assert ok.status == 200 and not ok.text.strip(), ok.text
    incident = await stack.declared(stack.workflow_id(barrier))
    assert incident.channel is not None

    await assert_not_started(stack, stack.workflow_id(bad))
    created = [call.args["name"] for call in stack.fake.calls("conversations.create")]
    assert created == [incident.channel.name]
    since = stack.fake.calls()[before:]
    about_reporter = [call.method for call in since if REPORTER in json.dumps(call.args)]
    assert about_reporter == []
    assert stack.fake.dm_channel(REPORTER) is None
    assert stack.fake.ephemerals() == [] and stack.fake.responses() == []
    return errors


@pytest.mark.parametrize(
    ("fields", "block_id", "must_say"),
    [
        pytest.param({"title": ""}, "title", ["title"], id="blank-title"),
        pytest.param({"title": "   \n\t  "}, "title", ["title"], id="whitespace-title"),
        pytest.param({"title": "\u200b\u200c\ufeff"}, "title", ["title"], id="zero-width-title"),
        pytest.param({"title": "\u202e\u2066\u2069"}, "title", ["title"], id="bidi-only-title"),
        pytest.param(
            {"title": "t" * (TITLE_MAX + 1)},
            "title",
            [str(TITLE_MAX), str(TITLE_MAX + 1)],
            id="title-151",
        ),
        pytest.param(
            {"severity": None}, "severity", ["SEV1, SEV2, SEV3, SEV4"], id="missing-severity"
        ),
        pytest.param(
            {"severity": "SEV9"}, "severity", ["SEV1, SEV2, SEV3, SEV4"], id="unknown-severity"
        ),
        pytest.param(
            {"description": "d" * (TEXT_MAX + 1)},
            "description",
            ["description", str(TEXT_MAX), str(TEXT_MAX + 1)],
            id="description-3001",
        ),
        pytest.param(
            {"impact": "i" * (TEXT_MAX + 1)},
            "impact",
            ["impact", str(TEXT_MAX), str(TEXT_MAX + 1)],
            id="impact-3001",
        ),
    ],
)
async def test_bad_input_is_refused_on_its_field_and_nothing_happens(
    slack: FakeSlack,
    dev_server: WorkflowEnvironment,
    database_url: str,
    fields: dict[str, Any],
    block_id: str,
    must_say: list[str],
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        errors = await rejected(stack, **fields)

    assert list(errors) == [block_id]
    for words in must_say:
        assert words in errors[block_id]


async def test_invisible_characters_are_dropped_and_the_record_is_written(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        workflow_id = await stack.declare(
            title="\u202eDisk\u200b full",
            description="before\x00after",
            impact="\x00none",
        )
        incident = await stack.declared(workflow_id)
        row = await eventually(lambda: fetch_incident(database_url, workflow_id))

    assert incident.declaration.title == "Disk full"
    assert incident.channel is not None and incident.channel.name.endswith("-disk-full")
    assert (row["title"], row["description"], row["impact"]) == ("Disk full", "beforeafter", "none")


async def test_unknown_tag_is_refused(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str, tmp_path: Path
) -> None:
    policy_file = tmp_path / "tagged.toml"
    policy_file.write_text(TAGGED_POLICY)
    async with fireline_stack(
        slack,
        dev_server.client,
        database_url,
        severity_policy_file=policy_file,
    ) as stack:
        view = await stack.open_form()
        blocks = {block["block_id"]: block for block in view["view"]["blocks"]}
        offered = [option["value"] for option in blocks["tags"]["element"]["options"]]
        assert offered == ["database", "payments"]

        errors = await rejected(stack, tags=["database", "no-such-tag"])

    assert list(errors) == ["tags"]
    assert "no-such-tag" in errors["tags"]
    assert "database" not in errors["tags"]


async def test_every_error_is_reported_at_once(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        errors = await rejected(
            stack,
            title=" ",
            severity="SEV9",
            description="d" * (TEXT_MAX + 1),
            impact="i" * (TEXT_MAX + 1),
        )

    assert set(errors) == {"title", "severity", "description", "impact"}


async def test_valid_resubmission_after_an_error_declares(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(slack, dev_server.client, database_url) as stack:
        view = await stack.open_form()
        workflow_id = stack.workflow_id(view)

        errors = errors_of(await stack.submit(view, title="", severity="SEV2"))
        assert list(errors) == ["title"]
        await assert_not_started(stack, workflow_id)

        # The modal stays open with the same view; the corrected submission declares.
        response = await stack.submit(view, title="Search is slow", severity="SEV3")
        assert response.status == 200 and not response.text.strip(), response.text
        incident = await stack.declared(workflow_id)

        assert incident.declaration.title == "Search is slow"
        assert incident.severity.name == "SEV3"
        assert incident.channel is not None and incident.problems == []
        assert len(slack.calls("conversations.create")) == 1
        channel = slack.channel_by_id(incident.channel.id)
        assert channel is not None
        assert channel["name"] == f"inc-{incident.number}-search-is-slow"


async def test_p1_to_p5_policy(
    slack: FakeSlack, dev_server: WorkflowEnvironment, database_url: str
) -> None:
    async with fireline_stack(
        slack, dev_server.client, database_url, severity_policy_file=P1_P5
    ) as stack:
        view = await stack.open_form()
        severity = {block["block_id"]: block for block in view["view"]["blocks"]}["severity"]
        options = severity["element"]["options"]
        assert [option["value"] for option in options] == ["P1", "P2", "P3", "P4", "P5"]
        assert severity["element"]["initial_option"]["value"] == "P3"
        assert severity["element"]["initial_option"] == options[2]

        # The default policy's names mean nothing here.
        errors = errors_of(await stack.submit(view, severity="SEV1"))
        assert errors == {"severity": errors["severity"]}
        assert "P1, P2, P3, P4, P5" in errors["severity"]
        await assert_not_started(stack, stack.workflow_id(view))

        response = await stack.submit(view, title="Payments down", severity="P1")
        assert response.status == 200 and not response.text.strip(), response.text
        incident = await stack.declared(stack.workflow_id(view))

        assert incident.severity.name == "P1" and incident.severity.label == "critical"
        assert incident.channel is not None and incident.problems == []
        summary = next(
            m for m in slack.messages(incident.channel.id) if m["ts"] == incident.summary_ts
        )
        facts = next(block for block in summary["blocks"] if block.get("fields"))
        assert facts["fields"][0]["text"] == "*Severity*\nP1 (critical)"
        assert "(P1, investigating)" in summary["text"]
        assert "SEV" not in json.dumps(summary["blocks"])
        channel = slack.channel_by_id(incident.channel.id)
        assert channel is not None
        assert channel["topic"].startswith("P1 (critical) · investigating")
