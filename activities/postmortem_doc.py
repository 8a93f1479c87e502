"""Postmortem doc activities, the same whichever backend holds the docs (Notion or Confluence).

The doc is found before it is created (by its incident property or its title), so a retried
attempt, a replay or a worker killed after the create call never makes a second. Sections Fireline
keeps are replaced whole, and only when they would change.
"""

from __future__ import annotations

from typing import Protocol

from temporalio import activity

from activities.doc_template import header_section
from activities.tracking_types import (
    DocHeader,
    DocSection,
    DocSectionInput,
    EnsureDocInput,
    EnsureResult,
    SectionWritten,
    UpdateDocHeaderInput,
)
from fireline.models import IncidentLink

NOT_CONFIGURED = "no postmortem doc backend is configured (Notion or Confluence)"
PRIVATE_LEFT_OUT = "private incidents get no postmortem doc in the shared space"


class DocBackend(Protocol):
    kind: str

    async def find(self, incident_id: str, number: int, title: str) -> IncidentLink | None: ...

    async def create(self, incident_id: str, header: DocHeader) -> IncidentLink: ...

    async def set_properties(self, ref: IncidentLink, header: DocHeader) -> None: ...

    async def replace_section(self, ref: IncidentLink, section: DocSection) -> bool: ...


class PostmortemDocActivities:
    def __init__(self, backend: DocBackend | None) -> None:
        self._backend = backend

    @activity.defn(name="ensure_postmortem_doc")
    async def ensure_doc(self, input: EnsureDocInput) -> EnsureResult:
        if self._backend is None:
            return EnsureResult(skipped=NOT_CONFIGURED)
        if input.private:
            return EnsureResult(skipped=PRIVATE_LEFT_OUT)
        header = input.header
        ref = await self._backend.find(input.incident_id, header.number, header.title)
        if ref is None:
            ref = await self._backend.create(input.incident_id, header)
        return EnsureResult(ref=ref)

    @activity.defn(name="update_postmortem_header")
    async def update_header(self, input: UpdateDocHeaderInput) -> SectionWritten:
        """The doc's properties and header table, as the incident is now."""
        backend = self._ready()
        await backend.set_properties(input.ref, input.header)
        changed = await backend.replace_section(input.ref, header_section(input.header))
        return SectionWritten(changed=changed)

    @activity.defn(name="write_postmortem_section")
    async def write_section(self, input: DocSectionInput) -> SectionWritten:
        backend = self._ready()
        return SectionWritten(changed=await backend.replace_section(input.ref, input.section))

    def _ready(self) -> DocBackend:
        if self._backend is None:
            raise RuntimeError(NOT_CONFIGURED)
        return self._backend
