"""The modals that change an incident (its status, its severity, a status update) and reading
their submissions into the incident's signal inputs.

A form carries its incident and the channel it was opened from in private_metadata (FormOrigin):
the incident middleware resolves the incident from it again at submission, and checks there that
a private incident's form came from that incident's channel. The change's request id is the
view id, the same for every delivery of one submission.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from bot.change_checks import severity_level, status_target
from bot.form_blocks import VALUE, input_block, option, submitted, text_input
from bot.refusal import Refused
from fireline.models import TEXT_MAX, IncidentSnapshot
from fireline.policy import SeverityPolicy
from fireline.render.incident import ACTION_POST_UPDATE, ACTION_SET_SEVERITY, ACTION_SET_STATUS
from fireline.render.text import escape, mrkdwn, plain
from fireline.signals import (
    CHANGE_SEVERITY,
    CHANGE_STATUS,
    POST_UPDATE,
    Change,
    ChangeSeverityInput,
    ChangeStatusInput,
    PostUpdateInput,
)
from fireline.user_text import multi_line
from workflows.incident.lifecycle import allowed_moves

STATUS_FORM = "incident_status_form"
SEVERITY_FORM = "incident_severity_form"
UPDATE_FORM = "incident_update_form"

View = dict[str, Any]
# (signal name, its input), or `{block_id: message}` for `response_action: errors`.
Submission = tuple[str, Change] | dict[str, str]


class FormOrigin(BaseModel):
    incident: str  # the incident's workflow id
    channel: str | None = None  # where the form was opened


def status_form(incident: IncidentSnapshot, policy: SeverityPolicy, origin: FormOrigin) -> View:
    moves = allowed_moves(incident.status)
    if not moves:
        raise Refused(f"{incident.reference} is closed; a closed incident cannot change.")
    choices = [option(status.value, status.value) for status in moves]
    return _modal(
        STATUS_FORM,
        "Update status",
        incident,
        origin,
        [
            input_block("status", "New status", _select(choices)),
            input_block(
                "note",
                "Note",
                text_input(TEXT_MAX, multiline=True, placeholder="Why?"),
                optional=True,
            ),
        ],
    )


def severity_form(incident: IncidentSnapshot, policy: SeverityPolicy, origin: FormOrigin) -> View:
    choices = [
        option(level.name, f"{level.name} · {level.label}", level.description)
        for level in policy.levels
    ]
    current = next((c for c in choices if c["value"] == incident.severity.name), None)
    return _modal(
        SEVERITY_FORM,
        "Change severity",
        incident,
        origin,
        [input_block("severity", "Severity", _select(choices, current))],
    )


def update_form(
    incident: IncidentSnapshot, policy: SeverityPolicy, origin: FormOrigin, *, text: str = ""
) -> View:
    blocks = [
        input_block("text", "What changed", text_input(TEXT_MAX, multiline=True, initial=text))
    ]
    moves = allowed_moves(incident.status)
    if moves:  # Slack refuses a select without options; a closed incident has no moves
        choices = [option(status.value, status.value) for status in moves]
        blocks.append(input_block("status", "New status", _select(choices), optional=True))
    return _modal(UPDATE_FORM, "Post an update", incident, origin, blocks)


# The summary's buttons and the form each opens.
OPENED_BY: dict[str, Callable[[IncidentSnapshot, SeverityPolicy, FormOrigin], View]] = {
    ACTION_SET_STATUS: status_form,
    ACTION_SET_SEVERITY: severity_form,
    ACTION_POST_UPDATE: update_form,
}


def read_status(
    view: View, incident: IncidentSnapshot, policy: SeverityPolicy, by: str
) -> Submission:
    errors: dict[str, str] = {}
    status = _choice(view, "status")
    try:
        target = status_target(incident, status)
    except Refused as err:
        errors["status"] = str(err)
    note = _text(view, "note", errors)
    if errors:
        return errors
    return CHANGE_STATUS, ChangeStatusInput(status=target, note=note, by=by, request_id=view["id"])


def read_severity(
    view: View, incident: IncidentSnapshot, policy: SeverityPolicy, by: str
) -> Submission:
    try:
        level = severity_level(policy, _choice(view, "severity"))
    except Refused as err:
        return {"severity": str(err)}
    return CHANGE_SEVERITY, ChangeSeverityInput(severity=level, by=by, request_id=view["id"])


def read_update(
    view: View, incident: IncidentSnapshot, policy: SeverityPolicy, by: str
) -> Submission:
    errors: dict[str, str] = {}
    text = _text(view, "text", errors)
    if not text and "text" not in errors:
        errors["text"] = "Say what changed (letters or digits, not only spaces)."
    status = _choice(view, "status")
    try:
        target = status_target(incident, status).value if status else None
    except Refused as err:
        errors["status"] = str(err)
    if errors:
        return errors
    return POST_UPDATE, PostUpdateInput(text=text, status=target, by=by, request_id=view["id"])


READERS: dict[str, Callable[[View, IncidentSnapshot, SeverityPolicy, str], Submission]] = {
    STATUS_FORM: read_status,
    SEVERITY_FORM: read_severity,
    UPDATE_FORM: read_update,
}


def _modal(
    callback_id: str,
    title: str,
    incident: IncidentSnapshot,
    origin: FormOrigin,
    inputs: list[dict[str, Any]],
) -> View:
    about = (
        f"*{incident.reference}* · {escape(incident.severity.name)} · {incident.status.value}\n"
        f"{escape(incident.declaration.title)}"
    )
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "private_metadata": origin.model_dump_json(),
        "blocks": [{"type": "section", "text": mrkdwn(about)}, *inputs],
    }


def _select(choices: list[dict[str, Any]], initial: dict[str, Any] | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": choices}
    if initial is not None:
        element["initial_option"] = initial
    return element


def _choice(view: View, block_id: str) -> str:
    return str((submitted(view, block_id).get("selected_option") or {}).get("value") or "")


def _text(view: View, block_id: str, errors: dict[str, str]) -> str:
    """A text field, cleaned; a message in `errors` when it is too long."""
    text = multi_line(submitted(view, block_id).get("value") or "")
    if len(text) > TEXT_MAX:
        errors[block_id] = f"Keep it to {TEXT_MAX} characters (it has {len(text)})."
    return text
