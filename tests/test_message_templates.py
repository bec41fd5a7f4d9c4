"""Every message template the code can send exists, in French and in English.

The source is read, not run: every value that can reach a template (a `template=` argument,
a dict's `"template"` entry, an argument given to a parameter named `template`) is followed
back to the constants it can be, through parameters (their defaults and every call site),
conditional expressions and look-ups in a module's dict of templates. A template name the
scan cannot follow back to constants (an f-string, a concatenation, a name built at run time)
fails the test: name each template in full, and map a status to its template with a dict.
"""

from __future__ import annotations

import ast
import functools
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from domain.messages import TEMPLATES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "core", "db", "providers", "activities", "workflows", "workers", "api",
            "cli")


@dataclass
class _Module:
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)

    def where(self, node: ast.AST) -> str:
        return f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


@dataclass
class _Scan:
    modules: list[_Module]
    names: dict[str, set[str]] = field(default_factory=dict)  # template -> where
    computed: list[str] = field(default_factory=list)
    _seen: set[tuple[int, str]] = field(default_factory=set)
    _functions_by_name: dict[str, list[tuple[_Module, ast.FunctionDef
                                             | ast.AsyncFunctionDef]]] = field(
        default_factory=dict)
    _calls_by_name: dict[str, list[tuple[_Module, ast.Call]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for module in self.modules:
            for node in ast.walk(module.tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self._functions_by_name.setdefault(node.name, []).append((module, node))
                elif isinstance(node, ast.Call) and (name := _callee(node)):
                    self._calls_by_name.setdefault(name, []).append((module, node))

    # --- where templates go -------------------------------------------------------------

    def run(self) -> None:
        for module in self.modules:
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Call):
                    for keyword in node.keywords:
                        if keyword.arg == "template":
                            self._follow(module, keyword.value)
                    for index, arg in enumerate(node.args):
                        if self._positional_template(node, index):
                            self._follow(module, arg)
                elif isinstance(node, ast.Dict):
                    for key, value in zip(node.keys, node.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "template":
                            self._follow(module, value)

    def _positional_template(self, call: ast.Call, index: int) -> bool:
        """Whether argument `index` of this call is a parameter named `template` of a
        function of ours with the callee's name."""
        name = _callee(call)
        for _, function in self._functions(name):
            params = [a.arg for a in function.args.posonlyargs + function.args.args]
            if params and params[0] in ("self", "cls") and isinstance(call.func,
                                                                      ast.Attribute):
                params = params[1:]
            if index < len(params) and params[index] == "template":
                return True
        return False

    # --- what a template can be -----------------------------------------------------------

    def _follow(self, module: _Module, value: ast.expr) -> None:
        key = (id(value), module.where(value))
        if key in self._seen:
            return
        self._seen.add(key)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            self.names.setdefault(value.value, set()).add(module.where(value))
        elif isinstance(value, ast.IfExp):
            self._follow(module, value.body)
            self._follow(module, value.orelse)
        elif isinstance(value, ast.Attribute) and value.attr == "template":
            pass  # an existing message's template, followed where that message was made
        elif isinstance(value, ast.Name) and (function := self._enclosing(module, value)):
            self._follow_parameter(module, function, value)
        elif isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and (
                mapping := _module_dict(module, value.value.id)) is not None:
            for item in mapping.values:
                self._follow(module, item)
        else:
            self.computed.append(f"{module.where(value)}: {ast.unparse(value)}")

    def _follow_parameter(self, module: _Module, function: ast.FunctionDef
                          | ast.AsyncFunctionDef, name: ast.Name) -> None:
        args = function.args
        positional = args.posonlyargs + args.args
        names = [a.arg for a in positional + args.kwonlyargs]
        if name.id not in names:
            self.computed.append(f"{module.where(name)}: {name.id} (not a parameter)")
            return
        defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):],
                            args.defaults, strict=True))
        defaults |= {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True)
                     if d is not None}
        if name.id in defaults:
            self._follow(module, defaults[name.id])
        index = [a.arg for a in positional].index(name.id) if name.id in [
            a.arg for a in positional] else None
        method = bool(positional) and positional[0].arg in ("self", "cls")
        for caller, call in self._calls(function.name):
            for keyword in call.keywords:
                if keyword.arg == name.id:
                    self._follow(caller, keyword.value)
            if index is not None:
                at = index - (1 if method and isinstance(call.func, ast.Attribute) else 0)
                if 0 <= at < len(call.args):
                    self._follow(caller, call.args[at])

    # --- the code ------------------------------------------------------------------------

    def _functions(self, name: str | None) -> Iterator[tuple[_Module, ast.FunctionDef
                                                          | ast.AsyncFunctionDef]]:
        yield from self._functions_by_name.get(name or "", [])

    def _calls(self, name: str) -> Iterator[tuple[_Module, ast.Call]]:
        yield from self._calls_by_name.get(name, [])

    @staticmethod
    def _enclosing(module: _Module, node: ast.AST
                   ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in module.parents:
            node = module.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _module_dict(module: _Module, name: str) -> ast.Dict | None:
    for node in module.tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        value = getattr(node, "value", None)
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and isinstance(
                value, ast.Dict):
            return value
    return None


def _modules() -> list[_Module]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), str(path))
            module = _Module(path, tree)
            for parent in ast.walk(tree):
                for child in ast.iter_child_nodes(parent):
                    module.parents[child] = parent
            found.append(module)
    return found


@functools.cache
def _scan() -> _Scan:
    scan = _Scan(_modules())
    scan.run()
    return scan


def test_every_template_the_code_sends_exists_in_french_and_english() -> None:
    scan = _scan()
    assert scan.computed == [], "template names built at run time: write each one out"
    missing = {name: sorted(where) for name, where in scan.names.items()
               if name not in TEMPLATES}
    assert missing == {}
    for name in scan.names:
        assert set(TEMPLATES[name]) >= {"fr", "en"}, name


def test_the_scan_finds_the_templates_of_every_area() -> None:
    """The scan reaches templates sent by activities, by workflows (through a parameter and
    its call sites), and by status (through a dict)."""
    names = set(_scan().names)
    assert {"account_validation", "account_validation_reminder", "platform_invitation",
            "doctor_invitation", "doctor_invitation_accepted", "doctor_invitation_declined",
            "doctor_invitation_expired", "subscription_ended", "renewal_card_declined",
            "renewal_payment_link"} <= names


def test_both_languages_fill_the_same_variables() -> None:
    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for name, variants in TEMPLATES.items():
        (fr_subject, fr_body), (en_subject, en_body) = variants["fr"], variants["en"]
        assert fields(fr_subject) | fields(fr_body) == fields(en_subject) | fields(en_body), (
            name)
