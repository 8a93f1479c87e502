"""The bot's own check of a change: the valid choices are named, what was typed is escaped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from bot.change_checks import role_name, severity_level, status_target
from bot.refusal import Refused
from fireline.models import Declaration, IncidentSnapshot, IncidentStatus
from fireline.policy import load_policy

POLICY = load_policy()


def incident(status: IncidentStatus) -> IncidentSnapshot:
    level = POLICY.level("SEV2")
    assert level is not None
    return IncidentSnapshot(
        incident_id="incident-T-V1",
        number=7,
        declaration=Declaration(
            title="Checkout", severity="SEV2", reporter_id="U1", commander_id="U1"
        ),
        severity=level,
        status=status,
        declared_at=datetime.now(UTC),
        workflow_url="http://temporal/wf",
    )


def refusal(check: Callable[..., object], *args: object) -> str:
    with pytest.raises(Refused) as refused:
        check(*args)
    return str(refused.value)


def test_status_in_any_case_when_the_move_is_allowed() -> None:
    assert status_target(incident(IncidentStatus.MITIGATED), " Identified ") == "identified"


def test_the_status_the_incident_has_passes_for_the_workflow_to_judge() -> None:
    """It may be the redelivery of the request that set it, which the workflow ignores."""
    assert status_target(incident(IncidentStatus.IDENTIFIED), "identified") == "identified"


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("fixed", "Unknown status `fixed`."),
        ("<b>", "Unknown status `&lt;b&gt;`."),
        ("", "Which status?"),
    ],
)
def test_unknown_status_names_the_allowed_moves(typed: str, said: str) -> None:
    message = refusal(status_target, incident(IncidentStatus.IDENTIFIED), typed)
    assert message.startswith(said)
    assert message.endswith("INC-7 is identified; it can move to: mitigated, resolved, closed.")


def test_refused_move_says_why_and_what_is_allowed() -> None:
    message = refusal(status_target, incident(IncidentStatus.IDENTIFIED), "investigating")
    assert message == (
        "INC-7: An incident cannot go from identified to investigating. "
        "Allowed from identified: mitigated, resolved, closed."
    )
    assert "closed incident cannot change" in refusal(
        status_target, incident(IncidentStatus.CLOSED), "investigating"
    )


def test_severity_by_the_policy_name_in_any_case() -> None:
    assert severity_level(POLICY, "sev1") == "SEV1"
    assert refusal(severity_level, POLICY, "SEV9 <x>") == (
        "Unknown severity `SEV9 &lt;x&gt;`. Levels: SEV1, SEV2, SEV3, SEV4."
    )
    assert refusal(severity_level, POLICY, "").startswith("Which severity?")


def test_role_by_the_policy_name_in_any_case() -> None:
    assert role_name(POLICY, "Comms") == "comms"
    assert refusal(role_name, POLICY, "boss") == (
        "Unknown role `boss`. Roles: commander, comms, tech_lead."
    )
    assert refusal(role_name, POLICY, "").startswith("Which role?")
