"""The incident workflow's state: one model, so it can be carried whole across continue-as-new."""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from fireline.models import DeclareIncidentInput, IncidentSnapshot
    from fireline.render import operator


class IncidentState(BaseModel):
    # What queries return and the record stores.
    incident: IncidentSnapshot
    # From the deployment at declaration: the incident keeps what it started with.
    always_invite: list[str] = Field(default_factory=list)
    feed_channel: str | None = None
    # The record loop writes whenever `version` moves past `recorded_version`: once at the start,
    # so the record exists even while Slack is down, and again as the incident changes.
    version: int = 1
    recorded_version: int = 0

    @classmethod
    def declared(cls, input: DeclareIncidentInput, workflow_url: str) -> IncidentState:
        return cls(
            incident=IncidentSnapshot(
                incident_id=input.incident_id,
                declaration=input.declaration,
                severity=input.severity,
                declared_at=input.declared_at,
                number=input.number,
                workflow_url=workflow_url,
            ),
            always_invite=input.always_invite,
            feed_channel=input.feed_channel,
        )

    def changed(self) -> None:
        """Something the record keeps changed; the record loop writes it again."""
        self.version += 1

    def where(self) -> str:
        """The incident channel as operators may read it: a private incident's channel name
        carries its title, so it is never named."""
        channel = self.incident.channel
        if channel is None or self.incident.declaration.private:
            return "the incident channel"
        return f"#{channel.name}"

    def show_details(self) -> None:
        """What the Temporal UI shows about the incident while it runs."""
        workflow.set_current_details(operator.current_details(self.incident))
