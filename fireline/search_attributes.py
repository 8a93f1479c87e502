"""Fireline's Temporal search attributes, declared once.

Operators filter incidents with them in the Temporal UI and CLI, e.g.
`temporal workflow list --query "IncidentSeverity='SEV1' AND IncidentStatus='investigating'"`.
"""

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

INCIDENT_NUMBER = SearchAttributeKey.for_int("IncidentNumber")
INCIDENT_SEVERITY = SearchAttributeKey.for_keyword("IncidentSeverity")
INCIDENT_STATUS = SearchAttributeKey.for_keyword("IncidentStatus")
INCIDENT_COMMANDER = SearchAttributeKey.for_keyword("IncidentCommander")
INCIDENT_PRIVATE = SearchAttributeKey.for_bool("IncidentPrivate")
# The incident channel's id, set once the channel exists: how the bot finds the incident of the
# channel a command was typed in. An id, never a name, so a private incident reveals nothing.
INCIDENT_CHANNEL = SearchAttributeKey.for_keyword("IncidentChannel")

ALL = (
    INCIDENT_NUMBER,
    INCIDENT_SEVERITY,
    INCIDENT_STATUS,
    INCIDENT_COMMANDER,
    INCIDENT_PRIVATE,
    INCIDENT_CHANNEL,
)


def for_incident(
    number: int, severity: str, status: str, commander_id: str, private: bool
) -> TypedSearchAttributes:
    return TypedSearchAttributes(
        [
            SearchAttributePair(INCIDENT_NUMBER, number),
            SearchAttributePair(INCIDENT_SEVERITY, severity),
            SearchAttributePair(INCIDENT_STATUS, status),
            SearchAttributePair(INCIDENT_COMMANDER, commander_id),
            SearchAttributePair(INCIDENT_PRIVATE, private),
        ]
    )
