"""Every activity a workflow runs is registered by the worker, under the name and with the
input and output models of its one reference (domain.activity_ref.ActivityRef)."""

from __future__ import annotations

import inspect
import sys
import typing
from pathlib import Path

from temporalio import activity

from core.settings import Settings
from db.engine import make_engine, make_sessionmaker
from domain.activity_ref import ActivityRef
from workers.main import WorkerDeps, activities, workflows

ROOT = Path(__file__).resolve().parent.parent


def _registered(settings: Settings) -> dict[str, typing.Any]:
    deps = WorkerDeps.from_settings(settings, make_sessionmaker(make_engine(settings.database_url)))
    found: dict[str, typing.Any] = {}
    for fn in activities(deps):
        name = activity._Definition.must_from_callable(fn).name
        assert name is not None
        assert name not in found, f"activity {name} is registered twice"
        found[name] = fn
    return found


def _refs_used_by(workflow_class: type) -> set[ActivityRef[typing.Any, typing.Any]]:
    """The references a workflow's module (and the workflow modules it imports) holds."""
    module = sys.modules[workflow_class.__module__]
    refs = {value for value in vars(module).values() if isinstance(value, ActivityRef)}
    for value in vars(module).values():
        source = sys.modules.get(getattr(value, "__module__", "") or "")
        if source is not None and source.__name__.startswith("workflows."):
            refs |= {v for v in vars(source).values() if isinstance(v, ActivityRef)}
    return refs


def test_the_worker_registers_every_activity_each_workflow_runs(settings: Settings) -> None:
    registered = _registered(settings)
    for workflow_class in workflows():
        refs = _refs_used_by(workflow_class)
        for ref in refs:
            assert ref.name in registered, (
                f"{workflow_class.__name__} runs {ref.name}, which the worker does not register")
            hints = typing.get_type_hints(registered[ref.name])
            params = [p for p in inspect.signature(registered[ref.name]).parameters]
            assert len(params) == 1, f"{ref.name} takes one input model"
            assert hints[params[0]] is ref.input, (
                f"{ref.name} takes {hints[params[0]]}, its reference says {ref.input}")
            assert hints["return"] is ref.output, (
                f"{ref.name} answers {hints['return']}, its reference says {ref.output}")


def test_every_registered_activity_implements_a_reference(settings: Settings) -> None:
    for name, fn in _registered(settings).items():
        ref = getattr(fn, "__esame_activity_ref__", None)
        assert isinstance(ref, ActivityRef) and ref.name == name, (
            f"activity {name} is not declared with @implements(<its reference>)")


def test_workflows_run_activities_only_through_their_references() -> None:
    for path in sorted((ROOT / "workflows").glob("*.py")):
        if path.name == "common.py":
            continue
        assert "execute_activity(" not in path.read_text(), (
            f"{path.name} runs an activity by name: use run_activity(<reference>, ...)")
