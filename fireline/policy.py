"""The severity policy as data: which levels exist and which steps each one runs."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator


class PolicyError(Exception):
    """The policy file is unreadable or invalid; the message says where."""


class SeverityLevel(BaseModel):
    name: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    label: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=150)
    page_oncall: bool = False
    status_channel: bool = False
    jira: bool = False
    # Slack user ids invited to incidents of this level, at declaration and at promotion into it
    # (never for private incidents).
    invite: list[str] = Field(default_factory=list)
    # Update reminders: first after `reminder_first_minutes`, then every `reminder_every_minutes`.
    reminder_first_minutes: int | None = Field(default=None, gt=0)
    reminder_every_minutes: int | None = Field(default=None, gt=0)
    # Roles besides the commander that someone must take; nudged until they are (see
    # SeverityPolicy.unclaimed_role_minutes).
    required_roles: list[str] = Field(default_factory=list)
    # A postmortem is expected once resolved: the commander is reminded until it is closed.
    postmortem: bool = False

    @property
    def reminders(self) -> bool:
        return self.reminder_first_minutes is not None


class Role(BaseModel):
    name: str = Field(min_length=1, max_length=30, pattern=r"^[a-z0-9_]+$")
    description: str = Field(default="", max_length=300)


DEFAULT_ROLES = [
    Role(
        name="commander",
        description="Coordinates the response, keeps the status current and "
        "decides when the incident is resolved.",
    ),
    Role(
        name="comms",
        description="Keeps stakeholders and customers informed: status updates, "
        "the feed, the status page.",
    ),
    Role(name="tech_lead", description="Leads the technical investigation and the fix."),
]


class SeverityPolicy(BaseModel):
    # Most severe first: the order the form lists them in.
    levels: list[SeverityLevel] = Field(min_length=1, max_length=100)
    default: str
    always_invite: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=100)
    # Roles people can be assigned (`/incident role <role> @user`); the commander always exists.
    roles: list[Role] = Field(default_factory=lambda: list(DEFAULT_ROLES), max_length=20)
    # Archive the incident channel when the incident is closed.
    archive_on_close: bool = False
    # Nudges (workflows/incident/reminders.py): an incident unresolved this long, again and again.
    stale_after_days: int = Field(default=7, gt=0)
    stale_every_days: int = Field(default=7, gt=0)
    # A missing commander or required role, this long after declaration and at this interval.
    unclaimed_role_minutes: int = Field(default=10, gt=0)
    # The postmortem reminder: this long after resolve, then at this interval, until closed.
    postmortem_due_days: int = Field(default=5, gt=0)
    postmortem_every_days: int = Field(default=2, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> SeverityPolicy:
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"level names must be unique, got {names}")
        if self.default not in names:
            raise ValueError(f"default {self.default!r} is not one of the levels {names}")
        roles = [role.name for role in self.roles]
        if len(set(roles)) != len(roles) or "commander" not in roles:
            raise ValueError(f"roles must be unique and include commander, got {roles}")
        for level in self.levels:
            unknown = [role for role in level.required_roles if role not in roles]
            if unknown:
                raise ValueError(f"{level.name} requires roles that do not exist: {unknown}")
        return self

    def level(self, name: str) -> SeverityLevel | None:
        return next((level for level in self.levels if level.name == name), None)

    def role(self, name: str) -> Role | None:
        return next((role for role in self.roles if role.name == name), None)

    def is_promotion(self, before: str, after: str) -> bool:
        """Levels are listed most severe first: a move up the list is a promotion."""
        names = [level.name for level in self.levels]
        return names.index(after) < names.index(before)


def load_policy(path: Path | None = None) -> SeverityPolicy:
    """Load a policy file, or the built-in SEV1-SEV4 policy when no path is given."""
    try:
        if path is None:
            text = resources.files("fireline.policies").joinpath("default.toml").read_text()
        else:
            text = path.read_text()
        return SeverityPolicy.model_validate(tomllib.loads(text))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise PolicyError(f"SEVERITY_POLICY_FILE: cannot read {path}: {err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        where = f"{where}: " if where else ""  # whole-policy checks (default, unique names)
        raise PolicyError(
            f"SEVERITY_POLICY_FILE: {path or 'default'}: {where}{first['msg']}"
        ) from None
