"""The postmortem doc's template, the same for every backend: its title, the header table and the
sections in order. Fireline keeps the Incident, Timeline and Follow-ups sections; people write the
others, which Fireline never touches after creating them."""

from __future__ import annotations

from activities.tracking_types import DocHeader, DocSection

HEADER = "Incident"
TIMELINE = "Timeline"
FOLLOW_UPS = "Follow-ups"
SECTIONS = ["Summary", "Impact", TIMELINE, "Root cause", FOLLOW_UPS]
# What a section people have not written yet says.
TO_WRITE = {
    "Summary": "What happened, in a few sentences.",
    "Impact": "Who was affected, how, and for how long.",
    TIMELINE: "Written by Fireline when the incident is resolved (and by /incident postmortem).",
    "Root cause": "Why it happened.",
    FOLLOW_UPS: "Follow-ups from /incident followup are listed here.",
}


def doc_title(number: int, title: str) -> str:
    return f"INC-{number}: {title} - Postmortem"


def header_section(header: DocHeader) -> DocSection:
    rows = [
        ("Incident", f"INC-{header.number}: {header.title}"),
        ("Severity", header.severity),
        ("Status", header.status),
        ("Commander", header.commander),
        ("Declared", header.declared_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Channel", header.channel_url),
        *((f"Time to {name}", value) for name, value in header.durations.items()),
    ]
    return DocSection(heading=HEADER, rows=rows)


def template(header: DocHeader) -> list[DocSection]:
    """The whole doc as created: the header, then each section with what it is for."""
    return [
        header_section(header),
        *(DocSection(heading=name, lines=[TO_WRITE[name]]) for name in SECTIONS),
    ]
