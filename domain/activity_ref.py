"""Typed activity references: one definition names an activity with its input and output.

A workflow runs an activity through its reference (`workflows.common.run_activity`), the
activity class implements it (`activities.defn.implements`), and the tests mock it by the
same reference, so the name and the types are written once. `tests/test_activity_refs.py`
checks that the worker registers every reference a workflow module uses, with the types the
reference declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


@dataclass(frozen=True)
class ActivityRef(Generic[In, Out]):
    """The activity `name`, taking one `input` model and answering one `output` model."""

    name: str
    input: type[In]
    output: type[Out]

    def __str__(self) -> str:
        return self.name
