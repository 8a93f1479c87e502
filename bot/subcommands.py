"""`/incident <subcommand>`: the table of subcommands, where each may run, and what each does.

A change is acknowledged at once (Slack waits 3 s, and so does the person), then the channel's
incident is looked up and the change sent with the command's trigger_id as its request id; the
person is told ephemerally what was asked, or what is wrong with the valid choices. A status
change is first checked against the incident as its workflow knows it (bot.change_checks: the
moves allowed depend on where it is); the others need only which incident the channel belongs to,
and its workflow judges them and tells the person when it refuses. The incident's channel hears
about the change from the workflow itself. Only what needs the incident before answering (a
form, the help) looks it up first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from temporalio.client import Client

from bot.change_checks import role_name, severity_level, status_target
from bot.change_forms import FormOrigin, update_form
from bot.changes import send_change
from bot.command_text import as_typed, duration_minutes, mentioned_user
from bot.declare_form import declare_modal
from bot.help import HELP, incident_channel_help
from bot.incident_context import ChannelIncident
from bot.incident_lookup import IncidentRef, NamedIncident
from bot.open_incidents import open_incidents_text
from bot.refusal import Refused
from fireline.models import TEXT_MAX, IncidentSnapshot
from fireline.policy import SeverityPolicy
from fireline.render.text import escape
from fireline.signals import (
    ADD_FOLLOWUP,
    ADD_NOTE,
    ASSIGN_ROLE,
    CHANGE_SEVERITY,
    CHANGE_STATUS,
    PAGE_ONCALL,
    REFRESH_POSTMORTEM,
    SNOOZE_MAX_MINUTES,
    SNOOZE_REMINDER,
    AddFollowupInput,
    AddNoteInput,
    AssignRoleInput,
    Change,
    ChangeSeverityInput,
    ChangeStatusInput,
    PageOncallInput,
    RefreshPostmortemInput,
    SnoozeReminderInput,
)
from fireline.user_text import multi_line


@dataclass(frozen=True)
class Services:
    """What subcommands act with, wired once by the app."""

    temporal: Client
    policy: SeverityPolicy
    task_queue: str


@dataclass(frozen=True)
class CommandRequest:
    ack: AsyncAck
    respond: AsyncRespond
    client: AsyncWebClient
    command: dict[str, Any]  # Slack's fields
    name: str  # the subcommand's name as typed
    args: str  # what follows the subcommand's name, as Slack sent it (mentions as <@U123|name>)
    channel_incident: ChannelIncident  # the incident whose channel this is, looked up on first use
    services: Services

    @property
    def typed(self) -> str:
        """The arguments as the person typed them (see bot.command_text.as_typed)."""
        return as_typed(self.args)

    async def here(self) -> IncidentSnapshot:
        """The incident of a subcommand that runs only in an incident's channel, as its
        workflow knows it now."""
        await self.here_ref()  # outside an incident's channel: say where to run it
        incident = await self.channel_incident()
        assert incident is not None, "the channel's incident, found just before"
        return incident

    async def here_ref(self) -> IncidentRef:
        """Which incident a subcommand that runs only in an incident's channel is about."""
        incident = await self.channel_incident.ref()
        if incident is None:
            raise Refused(
                f"`/incident {escape(as_typed(self.name))}` changes an incident, so it runs in "
                "that incident's channel, and this channel is not one. Run it there; "
                "`/incident list` shows the open incidents and their channels."
            )
        return incident

    async def answer_after_ack(self, work: Awaitable[str]) -> None:
        """Acknowledge, then show the person what `work` says, or why it could not be done.
        Refused is answered here, not raised: Bolt drops the acknowledgement of a request whose
        listener raises after acknowledging it."""
        await self.ack()
        try:
            told = await work
        except Refused as refusal:
            told = str(refusal)
        await self.respond(text=told, response_type="ephemeral")


Run = Callable[[CommandRequest], Awaitable[None]]


@dataclass(frozen=True)
class Sending:
    """A checked change: the signal, its input, and what the person is told was asked."""

    signal: str
    change: Change
    told: str


# What a change subcommand checks before the acknowledgement, from what was typed (a mistake
# there is answered in the ack itself), returning what it checks against the incident after:
# its state (StateCheck), or only which incident it is (NameCheck: the workflow judges the rest).
StateCheck = Callable[[CommandRequest], Callable[[IncidentSnapshot], Sending]]
NameCheck = Callable[[CommandRequest], Callable[[NamedIncident], Sending]]


def change(check: NameCheck) -> Run:
    """A subcommand that checks what was typed, acknowledges, then finds the channel's incident
    and sends the change to it. Its workflow judges it, and tells the person when it refuses."""
    return _change(check, CommandRequest.here_ref)


def checked_change(check: StateCheck) -> Run:
    """As `change`, but checked against the incident as its workflow knows it now (one query),
    so that a refusal is answered at once, with the allowed choices."""
    return _change(check, CommandRequest.here)


def _change(
    check: Callable[[CommandRequest], Callable[[Any], Sending]],
    here: Callable[[CommandRequest], Awaitable[NamedIncident]],
) -> Run:
    async def run(req: CommandRequest) -> None:
        try:
            against = check(req)
        except Refused:
            await req.here_ref()  # outside an incident's channel, where to run it comes first
            raise

        async def sent() -> str:
            incident = await here(req)
            sending = against(incident)
            await send_change(req.services.temporal, incident, sending.signal, sending.change)
            return sending.told

        await req.answer_after_ack(sent())

    return run


class Where(Enum):
    INCIDENT_CHANNEL = "incident channel"  # changes: only from the incident's own channel
    ANYWHERE = "anywhere"


@dataclass(frozen=True)
class Subcommand:
    usage: str  # after `/incident `
    summary: str  # what it does, for the help
    where: Where
    run: Run


def change_status(req: CommandRequest) -> Callable[[IncidentSnapshot], Sending]:
    typed, _, typed_note = req.typed.partition(" ")
    note = _text(typed_note, "note")

    def against(here: IncidentSnapshot) -> Sending:
        status = status_target(here, typed)
        asked = ChangeStatusInput(status=status, note=note, by=_user(req), request_id=_trigger(req))
        return Sending(CHANGE_STATUS, asked, f"Asked {here.reference} to move to {status}.")

    return against


def change_severity(req: CommandRequest) -> Callable[[NamedIncident], Sending]:
    level = severity_level(req.services.policy, req.typed)
    asked = ChangeSeverityInput(severity=level, by=_user(req), request_id=_trigger(req))
    return lambda here: Sending(
        CHANGE_SEVERITY, asked, f"Asked {here.reference} to become {level}."
    )


def assign_role(req: CommandRequest) -> Callable[[NamedIncident], Sending]:
    typed_role, _, person = req.args.partition(" ")
    role = role_name(req.services.policy, as_typed(typed_role))
    user = mentioned_user(person.strip())
    if user is None:
        typed = f" (`{escape(as_typed(person.strip()))}` is not one)" if person.strip() else ""
        raise Refused(
            f"Pick the person with an @-mention from Slack's list{typed}: "
            f"`/incident role {role} @person`."
        )
    asked = AssignRoleInput(role=role, user=user, by=_user(req), request_id=_trigger(req))
    told = f"to make <@{user}> its {role}."
    return lambda here: Sending(ASSIGN_ROLE, asked, f"Asked {here.reference} {told}")


def add_note(req: CommandRequest) -> Callable[[NamedIncident], Sending]:
    text = _text(req.typed, "note")
    if not text:
        raise Refused("Write the note after the command: `/incident note <text>`.")
    asked = AddNoteInput(text=text, by=_user(req), request_id=_trigger(req))
    return lambda here: Sending(ADD_NOTE, asked, f"Asked {here.reference} to add your note.")


def add_followup(req: CommandRequest) -> Callable[[NamedIncident], Sending]:
    text = _text(req.typed, "follow-up")
    if not text:
        raise Refused("Say what should be done after the command: `/incident followup <text>`.")
    asked = AddFollowupInput(text=text, by=_user(req), request_id=_trigger(req))
    return lambda here: Sending(
        ADD_FOLLOWUP, asked, f"Asked {here.reference} to open your follow-up."
    )


def refresh_postmortem(req: CommandRequest) -> Callable[[NamedIncident], Sending]:
    asked = RefreshPostmortemInput(by=_user(req), request_id=_trigger(req))
    told = "to write its postmortem's timeline again."
    return lambda here: Sending(REFRESH_POSTMORTEM, asked, f"Asked {here.reference} {told}")


def snooze(req: CommandRequest) -> Callable[[NamedIncident], Sending]:
    minutes = duration_minutes(req.typed)
    if minutes is None or not 1 <= minutes <= SNOOZE_MAX_MINUTES:
        typed = f" (not `{escape(req.typed)}`)" if req.typed.strip() else ""
        raise Refused(
            f"Say how long, from a minute to 24 hours{typed}: `/incident snooze 30m`, "
            "`/incident snooze 2h`."
        )
    asked = SnoozeReminderInput(minutes=minutes, by=_user(req), request_id=_trigger(req))
    told = f"to hold its update reminder for {req.typed.strip()}."
    return lambda here: Sending(SNOOZE_REMINDER, asked, f"Asked {here.reference} {told}")


def page_oncall(req: CommandRequest) -> Callable[[NamedIncident], Sending]:
    asked = PageOncallInput(by=_user(req), request_id=_trigger(req))
    return lambda here: Sending(PAGE_ONCALL, asked, f"Asked {here.reference} to page on-call.")


async def open_update_form(req: CommandRequest) -> None:
    here = await req.here()
    origin = FormOrigin(incident=here.incident_id, channel=req.command["channel_id"])
    view = update_form(here, req.services.policy, origin, text=req.typed)
    await req.ack()  # then at once: the trigger_id lives 3 seconds
    await req.client.views_open(trigger_id=_trigger(req), view=view)


async def list_open(req: CommandRequest) -> None:
    services = req.services
    await req.answer_after_ack(
        open_incidents_text(services.temporal, services.task_queue, services.policy)
    )


async def show_help(req: CommandRequest) -> None:
    incident = await req.channel_incident.ref()
    if incident is None:
        await req.ack(text=HELP)
        return
    changes = [
        (s.usage, s.summary) for s in SUBCOMMANDS.values() if s.where is Where.INCIDENT_CHANNEL
    ]
    await req.ack(text=incident_channel_help(incident.reference, changes))


async def declare(req: CommandRequest) -> None:
    await req.ack()  # then at once: the trigger_id lives 3 seconds
    await req.client.views_open(
        trigger_id=_trigger(req), view=declare_modal(req.services.policy, _user(req))
    )


SUBCOMMANDS = {
    "status": Subcommand(
        "status <status> [note]",
        "moves it to investigating, identified, mitigated, resolved or closed",
        Where.INCIDENT_CHANNEL,
        checked_change(change_status),
    ),
    "severity": Subcommand(
        "severity <level>", "changes its severity", Where.INCIDENT_CHANNEL, change(change_severity)
    ),
    "role": Subcommand(
        "role <role> @person",
        "gives someone a role in it",
        Where.INCIDENT_CHANNEL,
        change(assign_role),
    ),
    "update": Subcommand(
        "update", "opens the form to post a status update", Where.INCIDENT_CHANNEL, open_update_form
    ),
    "note": Subcommand(
        "note <text>", "adds a note to its timeline", Where.INCIDENT_CHANNEL, change(add_note)
    ),
    "snooze": Subcommand(
        "snooze <30m|2h>",
        "postpones the next update reminder (at most 24h)",
        Where.INCIDENT_CHANNEL,
        change(snooze),
    ),
    "followup": Subcommand(
        "followup <text>",
        "opens a Jira follow-up linked to its issue and lists it in the postmortem",
        Where.INCIDENT_CHANNEL,
        change(add_followup),
    ),
    "postmortem": Subcommand(
        "postmortem",
        "writes the postmortem's timeline again from the incident and its channel",
        Where.INCIDENT_CHANNEL,
        change(refresh_postmortem),
    ),
    "page": Subcommand(
        "page", "pages on-call through PagerDuty", Where.INCIDENT_CHANNEL, change(page_oncall)
    ),
    "list": Subcommand("list", "lists the open incidents", Where.ANYWHERE, list_open),
    "help": Subcommand("help", "shows the commands", Where.ANYWHERE, show_help),
    "new": Subcommand("new", "opens the form to declare an incident", Where.ANYWHERE, declare),
}
ALIASES = {"declare": "new"}


async def subcommand(name: str, channel_incident: ChannelIncident) -> Subcommand:
    """The subcommand `name` names; Refused (with the choices) when there is none. `/incident`
    alone is about the channel's incident if there is one, else it declares."""
    if not name:
        name = "help" if await channel_incident.ref() is not None else "new"
    found = SUBCOMMANDS.get(ALIASES.get(name, name))
    if found is None:
        raise Refused(
            f"Unknown subcommand `{escape(as_typed(name))}`. In an incident's channel: "
            f"{_names(Where.INCIDENT_CHANNEL)}; anywhere: {_names(Where.ANYWHERE)}. "
            "See `/incident help`."
        )
    return found


def _names(where: Where) -> str:
    return ", ".join(name for name, found in SUBCOMMANDS.items() if found.where is where)


def _user(req: CommandRequest) -> str:
    return str(req.command["user_id"])


def _trigger(req: CommandRequest) -> str:
    """The command's trigger_id: the same on a redelivery, so it is the change's request id."""
    return str(req.command["trigger_id"])


def _text(typed: str, what: str) -> str:
    text = multi_line(typed)
    if len(text) > TEXT_MAX:
        raise Refused(f"Keep the {what} to {TEXT_MAX} characters (it has {len(text)}).")
    return text
