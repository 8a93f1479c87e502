"""The incident's workflow: state, lifecycle, declaration and record, wired in workflow.py."""

from workflows.incident.workflow import IncidentWorkflow

__all__ = ["IncidentWorkflow"]
