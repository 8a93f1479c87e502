"""The worker's workflow sandbox: the SDK's, with two costs of its bookkeeping taken out.

The SDK sandbox runs every call into a workflow as `exec` of a source string, so Python compiles
the same two lines again on each call. It makes such a call per activation, and one more per
payload sequence it encodes or decodes, only to ask which serialization context that payload has
(2-4 calls per activity scheduled or resolved). On a replay (an incident evicted from the workflow
cache whose timer fires) that was a third of the worker's CPU (bench/replay.py).

Here the code is compiled once, and the context questions go straight to the workflow instance
in the sandbox: they read its pending commands and build SDK dataclasses, and import nothing, so
they need no sandboxed import state. The workflow code itself runs in the sandbox as before, with
the same restrictions.
"""

from __future__ import annotations

import functools
from types import CodeType
from typing import Any

from temporalio.converter import SerializationContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance

# Where the SDK keeps the workflow's sandboxed side (`InSandbox`) in the sandbox's globals.
_IN_SANDBOX = "__temporal_in_sandbox"


@functools.cache
def _compiled(source: str) -> CodeType:
    return compile(source, "<string>", "exec")


class _CompiledOnceInstance(_Instance):
    def _run_code(self, code: str, **extra_globals: Any) -> None:
        # `exec` takes a code object as it takes a string; the SDK's few strings compile once.
        super()._run_code(_compiled(code), **extra_globals)  # type: ignore[arg-type]

    def _in_sandbox(self) -> Any:
        return self.globals_and_locals[_IN_SANDBOX]

    def get_serialization_context(self, command_info: Any) -> SerializationContext | None:
        context: SerializationContext | None = self._in_sandbox().get_serialization_context(
            command_info
        )
        return context

    def get_external_store_context(self, command_info: Any) -> Any:
        return self._in_sandbox().get_external_store_context(command_info)


class WorkflowRunner(SandboxedWorkflowRunner):
    """The SDK's sandbox, default restrictions, run as described above."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _CompiledOnceInstance(det, self.runner_class, self.restrictions)
