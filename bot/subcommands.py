"""`/incident <subcommand>`: the table of subcommands, where each may run, and what each does.

A change is checked here first (bot.change_checks) so a mistake is answered at once in the
command's acknowledgement, with the valid choices; then the command is acknowledged, the change is
sent with the command's trigger_id as its request id, and the person is told what was asked. The
incident's channel hears about the change from the workflow itself.
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
from bot.open_incidents import open_incidents_text
from bot.refusal import Refused
from fireline.models import TEXT_MAX, IncidentSnapshot
from fireline.policy import SeverityPolicy
from fireline.render.text import escape
from fireline.signals import (
    ADD_NOTE,
    ASSIGN_ROLE,
    CHANGE_SEVERITY,
    CHANGE_STATUS,
    PAGE_ONCALL,
    SNOOZE_MAX_MINUTES,
    SNOOZE_REMINDER,
    AddNoteInput,
    AssignRoleInput,
    Change,
    ChangeSeverityInput,
    ChangeStatusInput,
    PageOncallInput,
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
    args: str  # what follows the subcommand's name, as Slack sent it (mentions as <@U123|name>)
    incident: IncidentSnapshot | None  # the incident whose channel this is (incident_context)
    services: Services

    @property
    def typed(self) -> str:
        """The arguments as the person typed them (see bot.command_text.as_typed)."""
        return as_typed(self.args)

    @property
    def here(self) -> IncidentSnapshot:
        """The incident of a subcommand that runs only in an incident's channel."""
        assert self.incident is not None, "dispatch runs these only in an incident's channel"
        return self.incident

    async def send(self, signal: str, change: Change, told: str) -> None:
        async def sent() -> str:
            await send_change(self.services.temporal, self.here, signal, change)
            return told

        await self.answer_after_ack(sent())

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


class Where(Enum):
    INCIDENT_CHANNEL = "incident channel"  # changes: only from the incident's own channel
    ANYWHERE = "anywhere"


@dataclass(frozen=True)
class Subcommand:
    usage: str  # after `/incident `
    summary: str  # what it does, for the help
    where: Where
    run: Callable[[CommandRequest], Awaitable[None]]


async def change_status(req: CommandRequest) -> None:
    typed, _, note = req.typed.partition(" ")
    status = status_target(req.here, typed)
    change = ChangeStatusInput(
        status=status, note=_text(note, "note"), by=_user(req), request_id=_trigger(req)
    )
    await req.send(CHANGE_STATUS, change, f"Asked {req.here.reference} to move to {status}.")


async def change_severity(req: CommandRequest) -> None:
    level = severity_level(req.services.policy, req.typed)
    change = ChangeSeverityInput(severity=level, by=_user(req), request_id=_trigger(req))
    await req.send(CHANGE_SEVERITY, change, f"Asked {req.here.reference} to become {level}.")


async def assign_role(req: CommandRequest) -> None:
    typed_role, _, person = req.args.partition(" ")
    role = role_name(req.services.policy, as_typed(typed_role))
    user = mentioned_user(person.strip())
    if user is None:
        typed = f" (`{escape(as_typed(person.strip()))}` is not one)" if person.strip() else ""
        raise Refused(
            f"Pick the person with an @-mention from Slack's list{typed}: "
            f"`/incident role {role} @person`."
        )
    change = AssignRoleInput(role=role, user=user, by=_user(req), request_id=_trigger(req))
    await req.send(ASSIGN_ROLE, change, f"Asked {req.here.reference} to make <@{user}> its {role}.")


async def add_note(req: CommandRequest) -> None:
    text = _text(req.typed, "note")
    if not text:
        raise Refused("Write the note after the command: `/incident note <text>`.")
    change = AddNoteInput(text=text, by=_user(req), request_id=_trigger(req))
    await req.send(ADD_NOTE, change, f"Asked {req.here.reference} to add your note.")


async def snooze(req: CommandRequest) -> None:
    minutes = duration_minutes(req.typed)
    if minutes is None or not 1 <= minutes <= SNOOZE_MAX_MINUTES:
        typed = f" (not `{escape(req.typed)}`)" if req.typed.strip() else ""
        raise Refused(
            f"Say how long, from a minute to 24 hours{typed}: `/incident snooze 30m`, "
            "`/incident snooze 2h`."
        )
    change = SnoozeReminderInput(minutes=minutes, by=_user(req), request_id=_trigger(req))
    told = f"Asked {req.here.reference} to hold its update reminder for {req.typed.strip()}."
    await req.send(SNOOZE_REMINDER, change, told)


async def page_oncall(req: CommandRequest) -> None:
    change = PageOncallInput(by=_user(req), request_id=_trigger(req))
    await req.send(PAGE_ONCALL, change, f"Asked {req.here.reference} to page on-call.")


async def open_update_form(req: CommandRequest) -> None:
    origin = FormOrigin(incident=req.here.incident_id, channel=req.command["channel_id"])
    view = update_form(req.here, req.services.policy, origin, text=req.typed)
    await req.ack()  # then at once: the trigger_id lives 3 seconds
    await req.client.views_open(trigger_id=_trigger(req), view=view)


async def list_open(req: CommandRequest) -> None:
    services = req.services
    await req.answer_after_ack(
        open_incidents_text(services.temporal, services.task_queue, services.policy)
    )


async def show_help(req: CommandRequest) -> None:
    if req.incident is None:
        await req.ack(text=HELP)
        return
    changes = [
        (s.usage, s.summary) for s in SUBCOMMANDS.values() if s.where is Where.INCIDENT_CHANNEL
    ]
    await req.ack(text=incident_channel_help(req.incident.reference, changes))


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
        change_status,
    ),
    "severity": Subcommand(
        "severity <level>", "changes its severity", Where.INCIDENT_CHANNEL, change_severity
    ),
    "role": Subcommand(
        "role <role> @person", "gives someone a role in it", Where.INCIDENT_CHANNEL, assign_role
    ),
    "update": Subcommand(
        "update", "opens the form to post a status update", Where.INCIDENT_CHANNEL, open_update_form
    ),
    "note": Subcommand(
        "note <text>", "adds a note to its timeline", Where.INCIDENT_CHANNEL, add_note
    ),
    "snooze": Subcommand(
        "snooze <30m|2h>",
        "postpones the next update reminder (at most 24h)",
        Where.INCIDENT_CHANNEL,
        snooze,
    ),
    "page": Subcommand(
        "page", "pages on-call through PagerDuty", Where.INCIDENT_CHANNEL, page_oncall
    ),
    "list": Subcommand("list", "lists the open incidents", Where.ANYWHERE, list_open),
    "help": Subcommand("help", "shows the commands", Where.ANYWHERE, show_help),
    "new": Subcommand("new", "opens the form to declare an incident", Where.ANYWHERE, declare),
}
ALIASES = {"declare": "new"}


def subcommand(name: str, incident: IncidentSnapshot | None) -> Subcommand:
    """The subcommand `name` names, if it may run here; Refused (with the choices) otherwise.
    `/incident` alone is about the channel's incident if there is one, else it declares."""
    if not name:
        name = "help" if incident is not None else "new"
    found = SUBCOMMANDS.get(ALIASES.get(name, name))
    if found is None:
        raise Refused(
            f"Unknown subcommand `{escape(as_typed(name))}`. In an incident's channel: "
            f"{_names(Where.INCIDENT_CHANNEL)}; anywhere: {_names(Where.ANYWHERE)}. "
            "See `/incident help`."
        )
    if found.where is Where.INCIDENT_CHANNEL and incident is None:
        raise Refused(
            f"`/incident {name}` changes an incident, so it runs in that incident's "
            "channel, and this channel is not one. Run it there; `/incident list` shows the open "
            "incidents and their channels."
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
