"""`@implements(REF)`: an activity method registered under the name its reference declares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity

from domain.activity_ref import ActivityRef

F = TypeVar("F", bound=Callable[..., Any])


def implements(ref: ActivityRef[Any, Any]) -> Callable[[F], F]:
    """`activity.defn` under the reference's name; the test of the references checks that
    the method's input and output annotations are the reference's models."""

    def decorate(fn: F) -> F:
        fn.__esame_activity_ref__ = ref  # type: ignore[attr-defined]
        return activity.defn(name=ref.name)(fn)

    return decorate
