"""conversations.create / rename / archive / join / setTopic / setPurpose / invite."""

from __future__ import annotations

from typing import Any

from ..args import Args, SlackError
from ..limits import PURPOSE_MAX, TOPIC_MAX, channel_name_error
from ..shapes import channel_obj
from ..state import Channel, Topic, Workspace

INVITE_MAX_USERS = 100


def _check_name(ws: Workspace, name: str, *, current: Channel | None = None) -> None:
    error = channel_name_error(name)
    if error:
        raise SlackError(error)
    taken = ws.find_by_name(name)
    if taken is not None and taken is not current:
        raise SlackError("name_taken")  # Slack does not say which channel holds the name


def _join(ws: Workspace, channel: Channel, user_id: str) -> None:
    channel.members.append(user_id)
    ws.system_message(channel, "channel_join", user_id, f"<@{user_id}> has joined the channel")


def create(ws: Workspace, a: Args) -> dict[str, Any]:
    name = a.text("name")
    _check_name(ws, name)
    channel = ws.add_channel(name, is_private=a.flag("is_private"), creator=ws.bot_user_id)
    _join(ws, channel, ws.bot_user_id)
    return {"ok": True, "channel": channel_obj(ws, channel)}


def rename(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    if channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    ws.require_member(channel)
    ws.require_active(channel)
    if channel.creator != ws.bot_user_id:
        raise SlackError("not_authorized")
    name = a.text("name")
    _check_name(ws, name, current=channel)
    if name != channel.name:
        channel.previous_names.insert(0, channel.name)
        channel.name = name
        ws.system_message(
            channel, "channel_name", ws.bot_user_id, f"renamed the channel to #{name}"
        )
    return {"ok": True, "channel": channel_obj(ws, channel)}


def archive(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    if channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("already_archived")
    ws.require_member(channel)
    if channel.name == "general":
        raise SlackError("cant_archive_general")
    ws.system_message(channel, "channel_archive", ws.bot_user_id, "archived the channel")
    channel.is_archived = True
    return {"ok": True}


def join(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    if channel.is_private or channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    ws.require_active(channel)
    response: dict[str, Any] = {"ok": True}
    if ws.bot_user_id in channel.members:
        response["warning"] = "already_in_channel"
        response["response_metadata"] = {"warnings": ["already_in_channel"]}
    else:
        _join(ws, channel, ws.bot_user_id)
    response["channel"] = channel_obj(ws, channel)
    return response


def _set_text(ws: Workspace, a: Args, field: str, limit: int) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    ws.require_member(channel)
    ws.require_active(channel)
    value = a.text(field)
    if len(value) > limit:
        raise SlackError("too_long")
    setattr(channel, field, Topic(value, ws.bot_user_id, int(ws.now())))
    ws.system_message(
        channel, f"channel_{field}", ws.bot_user_id, f"set the channel {field}: {value}"
    )
    return {"ok": True, "channel": channel_obj(ws, channel)}


def set_topic(ws: Workspace, a: Args) -> dict[str, Any]:
    return _set_text(ws, a, "topic", TOPIC_MAX)


def set_purpose(ws: Workspace, a: Args) -> dict[str, Any]:
    return _set_text(ws, a, "purpose", PURPOSE_MAX)


def _invite_error(ws: Workspace, channel: Channel, user_id: str) -> str | None:
    if user_id == ws.bot_user_id:
        return "cant_invite_self"
    user = ws.users.get(user_id)
    if user is None:
        return "user_not_found"
    if user.deleted:
        # Slack's catalogue has no deactivated-specific code for this method;
        # "cant_invite" ("User cannot be invited to this channel") is the documented one.
        return "cant_invite"
    if user_id in channel.members:
        return "already_in_channel"
    return None


def invite(ws: Workspace, a: Args) -> dict[str, Any]:
    channel = ws.resolve(a.text("channel"))
    if channel.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    ws.require_active(channel)
    ws.require_member(channel)
    user_ids = list(dict.fromkeys(a.ids("users")))
    if not user_ids:
        raise SlackError("no_user")
    if len(user_ids) > INVITE_MAX_USERS:
        raise SlackError("too_many_users")
    errors: list[dict[str, Any]] = [
        {"user": uid, "ok": False, "error": err}
        for uid in user_ids
        if (err := _invite_error(ws, channel, uid)) is not None
    ]
    failed = {e["user"] for e in errors}
    valid = [uid for uid in user_ids if uid not in failed]
    force = a.flag("force")
    if errors and (not force or not valid):
        # all-or-nothing without force: nobody is invited
        raise SlackError(errors[0]["error"], errors=errors)
    for uid in valid:
        _join(ws, channel, uid)
    response: dict[str, Any] = {"ok": True, "channel": channel_obj(ws, channel)}
    if errors:
        response["errors"] = errors
    return response


HANDLERS = {
    "conversations.create": create,
    "conversations.rename": rename,
    "conversations.archive": archive,
    "conversations.join": join,
    "conversations.setTopic": set_topic,
    "conversations.setPurpose": set_purpose,
    "conversations.invite": invite,
}
