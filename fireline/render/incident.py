"""The messages an incident posts: the pinned summary, the feed post, the reporter's DM."""

from __future__ import annotations

from typing import Any

from fireline.models import IncidentSnapshot, ReminderKind
from fireline.render.text import escape, mrkdwn, plain, slack_date, truncate

Blocks = list[dict[str, Any]]

# action_ids of the summary's buttons; the bot's action listeners use the same names.
ACTION_SET_STATUS = "incident_set_status"
ACTION_SET_SEVERITY = "incident_set_severity"
ACTION_POST_UPDATE = "incident_post_update"
# On an unclaimed-role nudge: `incident_take_role:<role>` takes that role for whoever clicks.
ACTION_TAKE_ROLE = "incident_take_role"
HEADER_MAX = 150  # Slack's limit for a header block's text


def headline(incident: IncidentSnapshot) -> str:
    """`INC-12: title` as plain text (for headers and topics)."""
    return f"{incident.reference}: {incident.declaration.title}"


def fallback_text(incident: IncidentSnapshot) -> str:
    """Notification text: mrkdwn, so user text is escaped."""
    return escape(f"{headline(incident)} ({incident.severity.name}, {incident.status.value})")


def topic(incident: IncidentSnapshot) -> str:
    level = incident.severity
    return truncate(
        f"{level.name} ({level.label}) · {incident.status.value} · {headline(incident)}", 250
    )


def _header(incident: IncidentSnapshot) -> Blocks:
    """`INC-12: title` as the header. A header holds at most 150 characters and a title alone may
    be that long, so when the headline has to be cut the whole title follows it."""
    text = headline(incident)
    blocks: Blocks = [{"type": "header", "text": plain(text, HEADER_MAX)}]
    if len(text) > HEADER_MAX:
        blocks.append({"type": "section", "text": plain(incident.declaration.title)})
    return blocks


def purpose(incident: IncidentSnapshot) -> str:
    """The channel's description: what the reporter wrote, else the headline (Slack: 250 max)."""
    return truncate(incident.declaration.description.strip() or headline(incident), 250)


def _facts(incident: IncidentSnapshot) -> dict[str, Any]:
    level = incident.severity
    roles = [
        mrkdwn(f"*{role_label(role)}*\n<@{user}>")
        for role, user in sorted(incident.roles.items(), key=lambda item: item[0] != "commander")
    ] or [mrkdwn(f"*Commander*\n<@{incident.commander_id}>")]
    # A section holds at most 10 fields.
    return {
        "type": "section",
        "fields": [
            mrkdwn(f"*Severity*\n{escape(level.name)} ({escape(level.label)})"),
            mrkdwn(f"*Status*\n{incident.status.value}"),
            *roles[:7],
            mrkdwn(f"*Reporter*\n<@{incident.declaration.reporter_id}>"),
        ],
    }


def role_label(role: str) -> str:
    """`tech_lead` as people say it: Tech lead."""
    return role.replace("_", " ").capitalize()


def _last_update(incident: IncidentSnapshot) -> Blocks:
    update = incident.last_update
    if update is None:
        return []
    said = f"*Last update* by <@{update.by}>, {slack_date(update.at)}"
    return [
        {"type": "context", "elements": [mrkdwn(said)]},
        {"type": "section", "text": plain(update.text)},
    ]


def _next_update(incident: IncidentSnapshot) -> Blocks:
    due = incident.reminders.get(ReminderKind.UPDATE)
    if due is None:
        return []
    return [{"type": "context", "elements": [mrkdwn(f"Next update due {slack_date(due)}")]}]


def _labelled_text(label: str, text: str) -> Blocks:
    if not text.strip():
        return []
    return [
        {"type": "context", "elements": [mrkdwn(f"*{label}*")]},
        {"type": "section", "text": plain(text)},
    ]


# How the summary names what was made elsewhere (follow-ups are listed in the doc, not here).
_LINK_LABELS = {
    "notion_page": "Postmortem",
    "confluence_page": "Postmortem",
    "jira_issue": "Jira {external_id}",
}


def tracking_links(incident: IncidentSnapshot) -> list[str]:
    """The postmortem doc and the Jira issue, then what was left out and why."""
    made = [
        f"<{link.url}|{escape(_LINK_LABELS[link.kind].format(external_id=link.external_id))}>"
        for link in incident.links
        if link.kind in _LINK_LABELS
    ]
    return made + [escape(reason) for reason in incident.left_out]


def _links(incident: IncidentSnapshot) -> dict[str, Any]:
    links = [f"<{incident.workflow_url}|Workflow in Temporal>"]
    if incident.channel is not None:
        links.append(f"<#{incident.channel.id}>")
    if incident.status_channel is not None:
        links.append(f"Stakeholder updates: <#{incident.status_channel.id}>")
    if incident.declaration.source_permalink:
        links.append(f"<{incident.declaration.source_permalink}|Source message>")
    links += tracking_links(incident)
    if incident.declaration.tags:
        links.append("Tags: " + ", ".join(escape(tag) for tag in incident.declaration.tags))
    return {"type": "context", "elements": [mrkdwn(" · ".join(links))]}


def summary_blocks(incident: IncidentSnapshot) -> Blocks:
    """The pinned summary in the incident channel, kept current with chat.update."""
    declaration = incident.declaration
    buttons = [
        (ACTION_SET_STATUS, "Update status"),
        (ACTION_SET_SEVERITY, "Change severity"),
        (ACTION_POST_UPDATE, "Post an update"),
    ]
    return [
        *_header(incident),
        _facts(incident),
        *_labelled_text("Description", declaration.description),
        *_labelled_text("Customer impact", declaration.impact),
        *_last_update(incident),
        *_next_update(incident),
        _links(incident),
        {
            "type": "actions",
            "block_id": "incident_actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "text": plain(label, 75),
                    "value": incident.incident_id,
                }
                for action_id, label in buttons
            ],
        },
    ]


def feed_blocks(incident: IncidentSnapshot) -> Blocks:
    """The announcement in the feed channel, updated in place as the incident changes."""
    return [
        *_header(incident),
        _facts(incident),
        *_labelled_text("Customer impact", incident.declaration.impact),
        _links(incident),
    ]


def reporter_dm_blocks(incident: IncidentSnapshot) -> Blocks:
    channel = f"<#{incident.channel.id}>" if incident.channel else "its channel (being created)"
    return [
        {"type": "section", "text": mrkdwn(f"Your incident *{incident.reference}* is open.")},
        {"type": "section", "text": plain(incident.declaration.title, 3000)},
        {"type": "section", "text": mrkdwn(f"Join the response in {channel}.")},
    ]


def commander_dm_blocks(incident: IncidentSnapshot) -> Blocks:
    """The commander named at declaration learns it from Fireline, with the way in."""
    channel = f"<#{incident.channel.id}>" if incident.channel else "its channel"
    return [
        {
            "type": "section",
            "text": mrkdwn(
                f"<@{incident.declaration.reporter_id}> named you incident commander of "
                f"*{incident.reference}* ({escape(incident.severity.name)})."
            ),
        },
        {"type": "section", "text": plain(incident.declaration.title, 3000)},
        {
            "type": "section",
            "text": mrkdwn(
                f"Join {channel}: the commander coordinates the response, keeps the status "
                "current and decides when it is resolved."
            ),
        },
    ]


def source_thread_blocks(incident: IncidentSnapshot) -> Blocks:
    """The reply under the message an incident was declared from."""
    assert incident.channel is not None
    return [
        {
            "type": "section",
            "text": mrkdwn(
                f":rotating_light: <@{incident.declaration.reporter_id}> declared "
                f"*{incident.reference}* from this message. The response is in "
                f"<#{incident.channel.id}>."
            ),
        }
    ]


def channel_refused_blocks(incident: IncidentSnapshot, reason: str) -> Blocks:
    """Told to the reporter once when Slack will not create the incident's channel."""
    return [
        {
            "type": "section",
            "text": mrkdwn(
                f":warning: *{incident.reference}* is declared, but Slack refused to create its "
                f"channel: {escape(reason)}. Fireline tries again every few minutes; ask a Slack "
                "admin to fix this, or coordinate elsewhere meanwhile."
            ),
        },
        {"type": "section", "text": plain(incident.declaration.title)},
    ]


def problems_blocks(problems: list[str]) -> Blocks:
    """Said once in the incident channel: what declaration could not do."""
    # Problems are composed by Fireline from Slack IDs and error codes, never from user text.
    lines = "\n".join(f"• {problem}" for problem in problems)
    return [
        {
            "type": "section",
            "text": mrkdwn(truncate(f":warning: Some steps could not be done:\n{lines}", 3000)),
        }
    ]
