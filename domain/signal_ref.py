"""Typed signal references: one definition names a signal with the model it carries.

The receiving workflow declares its handler with the reference's name
(`@workflow.signal(name=ACCEPT_INVITATION.name)`), a workflow sends it with
`workflows.common.signal_workflow(workflow_id, ACCEPT_INVITATION, InvitationAccepted(...))`,
the API with `handle.signal(PROVIDER_EVENT.name, ...)`. `tests/test_signal_refs.py` checks
that each reference is handled by a registered workflow with its model, and that every
handler is a reference's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

In = TypeVar("In", bound=BaseModel)


@dataclass(frozen=True)
class SignalRef(Generic[In]):
    """The signal `name`, carrying one `input` model."""

    name: str
    input: type[In]

    def __str__(self) -> str:
        return self.name
