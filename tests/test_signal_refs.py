"""Every signal is named once, by its reference (domain.signal_ref.SignalRef): each reference
is handled by a registered workflow taking its model, each handler of a registered workflow
is a reference's, and workflows and the API send signals only through references (a signal
sent under a name no workflow handles is dropped by the SDK, with a warning, at run time)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import typing
from pathlib import Path

import domain
from domain.signal_ref import SignalRef
from workers.main import workflows

ROOT = Path(__file__).resolve().parent.parent


def _references() -> dict[str, SignalRef[typing.Any]]:
    found: dict[str, SignalRef[typing.Any]] = {}
    for info in pkgutil.walk_packages(domain.__path__, "domain."):
        for value in vars(importlib.import_module(info.name)).values():
            if isinstance(value, SignalRef):
                assert found.get(value.name, value) == value, f"two signals {value.name}"
                found[value.name] = value
    return found


def _handlers() -> list[tuple[str, str, type]]:
    """(workflow type, signal name, the model its handler takes) of every registered type."""
    from temporalio.workflow import _Definition

    found = []
    for workflow_class in workflows():
        definition = _Definition.must_from_class(workflow_class)
        for name, signal in definition.signals.items():
            assert name is not None, f"{definition.name} has a dynamic signal handler"
            hints = typing.get_type_hints(signal.fn)
            params = [p for p in hints if p != "return"]
            assert len(params) == 1, f"{definition.name}.{name} takes one model"
            found.append((str(definition.name), name, hints[params[0]]))
    return found


# Signals defined for a process being written on another branch, sent only to runs of it:
# the exemption ends by itself once that workflow type is registered.
_FOR_A_PROCESS_TO_COME = {"appointment_ended": "SponsorshipWorkflow"}


def test_every_signal_reference_is_handled_with_its_model() -> None:
    handlers = _handlers()
    registered = {str(wf) for wf, _, _ in handlers}
    from temporalio.workflow import _Definition

    registered |= {str(_Definition.must_from_class(w).name) for w in workflows()}
    for name, ref in _references().items():
        taking = [(wf, model) for wf, signal, model in handlers if signal == name]
        if not taking and _FOR_A_PROCESS_TO_COME.get(name, "-") not in registered:
            continue
        assert taking, f"no registered workflow handles the signal {name}"
        for wf, model in taking:
            assert model is ref.input, f"{wf} takes {model} for {name}, its reference {ref.input}"


def test_every_signal_handler_is_a_reference() -> None:
    names = set(_references())
    for wf, signal, _ in _handlers():
        assert signal in names, f"{wf} handles {signal}, which no SignalRef in domain/ names"


def test_signals_are_sent_only_through_references() -> None:
    literal = re.compile(r"""\.signal\(\s*['"]""")
    for folder in ("workflows", "api"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text()
            assert not literal.search(text), (
                f"{path.relative_to(ROOT)} sends a signal by a bare name: use its SignalRef")
            if folder == "workflows" and path.name != "common.py":
                assert "get_external_workflow_handle" not in text, (
                    f"{path.name} signals another run itself: use "
                    "workflows.common.signal_workflow(<id>, <reference>, ...)")
