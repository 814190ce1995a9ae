"""The docs name only what exists: operator commands, settings, make targets, routes and audit actions.

README.md and docs/*.md are read as an operator reads them. Every ``flask --app hub …`` invocation
(and every ``$(FLASK) …`` in the Makefile) must be a command of the real command tree, with its
options; every ``HUB_*`` name must be a setting that ``Config.load`` reads; every ``make …`` a target
of the Makefile; every route in backticks a path the app serves. The other way round, every setting
the hub reads is documented, and docs/AUDIT.md lists exactly the actions the code writes.
"""

from __future__ import annotations

import ast
import os
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import click
import pytest
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from hub.config import PROJECT_ROOT, Config
from hub.referrals.models import EventKind

DOCS = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
SETTINGS_DOCS = [PROJECT_ROOT / "README.md", PROJECT_ROOT / "docs" / "OPERATIONS.md"]
MAKEFILE = PROJECT_ROOT / "Makefile"
FILESYSTEM = ("/etc/", "/srv/", "/usr/", "/var/", "/tmp/", "/opt/", "/home/")  # noqa: S108  (paths, not routes)


def _name(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def code_snippets(text: str) -> Iterator[str]:
    """What a reader would type: each inline code span, and each line of a fenced block (no comment)."""
    prose = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            yield line.split(" #", 1)[0]
        else:
            prose.append(line)
    for span in re.findall(r"`([^`]+)`", "\n".join(prose)):
        yield " ".join(span.split())


def flask_invocations() -> list[tuple[str, list[str]]]:
    """``(where, words after "flask --app hub")`` for every invocation in the docs and the Makefile.

    A short form such as ``keys rotate --resume`` counts too, when its first word is a group that a
    full invocation names.
    """
    found, short = [], []
    for doc in DOCS:
        for snippet in code_snippets(doc.read_text(encoding="utf-8")):
            for match in re.finditer(r"flask --app hub ([^|>&;]*)", snippet):
                found.append((_name(doc), match.group(1).replace("\\", " ").split()))
            if re.fullmatch(r"[a-z-]+ [a-z-]+( [^|>&;]*)?", snippet):
                short.append((_name(doc), snippet.split()))
    for match in re.finditer(r"\$\(FLASK\) ([^\n|>&;]*)", MAKEFILE.read_text(encoding="utf-8")):
        found.append(("Makefile", match.group(1).split()))
    groups = {words[0] for _, words in found if len(words) > 1 and re.fullmatch(r"[a-z-]+", words[1])}
    found += [(where, words) for where, words in short if words[0] in groups]
    return [(where, list(words)) for where, words in dict.fromkeys((w, tuple(ws)) for w, ws in found)]


def documented_settings(docs: list[Path]) -> dict[str, str]:
    """Each ``HUB_*`` name the docs mention, with the first file that mentions it."""
    found: dict[str, str] = {}
    for doc in docs:
        for name in re.findall(r"\bHUB_[A-Z][A-Z0-9_]*\b", doc.read_text(encoding="utf-8")):
            found.setdefault(name, _name(doc))
    return found


def documented_make_targets() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for snippet in code_snippets(doc.read_text(encoding="utf-8")):
            for target in re.findall(r"(?<![\w$(-])make ([a-z][\w.-]*)", snippet):
                found.append((_name(doc), target))
    return list(dict.fromkeys(found))


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE))


def documented_routes() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for snippet in code_snippets(doc.read_text(encoding="utf-8")):
            if re.fullmatch(r"/[\w\-/<>.]*", snippet) and not snippet.startswith(FILESYSTEM):
                found.append((_name(doc), snippet))
    return list(dict.fromkeys(found))


# -- operator commands ----------------------------------------------------------------------------


def _option_names(command: click.Command) -> set[str]:
    return {name for param in command.params for name in (*param.opts, *param.secondary_opts)}


def _resolve(app: Flask, words: list[str]) -> str | None:
    """What is wrong with ``flask --app hub <words>`` as ``flask`` itself sees it; None if nothing."""
    group = FlaskGroup(create_app=lambda: app)  # built-in commands, plugins (``init``) and the app's own
    ctx = click.Context(group, info_name="flask", obj=ScriptInfo(create_app=lambda: app))
    with ctx:
        command: click.Command | None = group.get_command(ctx, words[0])
        if command is None:
            return f"there is no command {words[0]!r}"
        rest = words[1:]
        if isinstance(command, click.Group):
            if not rest or rest[0].startswith("-"):
                return f"{words[0]!r} needs one of: {', '.join(command.list_commands(ctx))}"
            sub = command.get_command(ctx, rest[0])
            if sub is None:
                known = ", ".join(command.list_commands(ctx))
                return f"{words[0]!r} has no command {rest[0]!r} (it has {known})"
            command, rest = sub, rest[1:]
        options = _option_names(command)
        for word in rest:
            option = word.strip("[]…,.").split("=", 1)[0]
            if option.startswith("--") and option not in options:
                return f"{' '.join(words[:2])!r} has no option {option} (it has {', '.join(sorted(options))})"
    return None


@pytest.mark.parametrize(
    ("where", "words"), flask_invocations(), ids=[f"{w}: {' '.join(ws)}" for w, ws in flask_invocations()]
)
def test_every_flask_command_named_in_the_docs_exists(app: Flask, where: str, words: list[str]) -> None:
    problem = _resolve(app, words)
    assert problem is None, f"{where} names `flask --app hub {' '.join(words)}`, but {problem}"


def test_the_reader_finds_the_operator_commands() -> None:
    found = {" ".join(words[:2]) for _, words in flask_invocations()}
    assert {"init", "seed-demo", "keys rotate", "audit verify", "outbox send"} <= found


def test_a_renamed_command_is_caught(app: Flask) -> None:
    assert _resolve(app, ["keys", "rotate", "--resume"]) is None
    assert _resolve(app, ["init"]) is None  # a plugin command, registered in setup.cfg
    assert "no command 'spin'" in (_resolve(app, ["keys", "spin"]) or "")
    assert "no option --rewind" in (_resolve(app, ["keys", "rotate", "--rewind"]) or "")
    assert "no command 'seed'" in (_resolve(app, ["seed"]) or "")


# -- settings --------------------------------------------------------------------------------------


def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the settings a test gives; an instance folder with no config.py."""
    for name in list(os.environ):
        if name.startswith("HUB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HUB_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path / "instance"))


def _field_type(name: str) -> type | None:
    hints = typing.get_type_hints(Config)
    if name not in hints:
        return None
    kind = hints[name]
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        kind = next(arg for arg in typing.get_args(kind) if arg is not type(None))
    return typing.cast(type, kind)


def _another_value(setting: str, base: Config, tmp_path: Path) -> str:
    """A valid value for ``setting`` that differs from what the hub uses without it."""
    field = setting.removeprefix("HUB_").lower()
    kind = _field_type(field)
    current = getattr(base, field, None)
    if kind is bool:
        return "false" if current else "true"
    if kind is int:
        return str(int(current or 0) + 1)
    if kind is Path:
        sample = tmp_path / f"{field}.sample"
        sample.write_text("sample\n", encoding="utf-8")
        return str(sample)
    if re.fullmatch(r"#[0-9a-fA-F]{6}", str(current or "")):
        return "#123456"
    return f"{current or ''}-docs-check"


def is_read(setting: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> bool:
    """True if setting ``setting`` changes what ``Config.load`` returns (or stops it): the hub reads it."""
    _clean_environment(monkeypatch, tmp_path)
    base = Config.load()
    monkeypatch.setenv(setting, _another_value(setting, base, tmp_path))
    try:
        changed = Config.load() != base
    except Exception:  # a value it refuses is still a setting it reads
        changed = True
    finally:
        _clean_environment(monkeypatch, tmp_path)
    return changed


def settings_candidates() -> set[str]:
    """Names the hub might read: one per field of Config, and every ``HUB_*`` literal in hub/config.py."""
    tree = ast.parse((PROJECT_ROOT / "hub" / "config.py").read_text(encoding="utf-8"))
    literals = {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"HUB_[A-Z][A-Z0-9_]*", node.value)
    }
    return literals | {f"HUB_{field.name.upper()}" for field in fields(Config)}


@pytest.mark.parametrize(("setting", "where"), sorted(documented_settings(DOCS).items()))
def test_every_setting_named_in_the_docs_is_read(
    setting: str, where: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert is_read(setting, monkeypatch, tmp_path), (
        f"{where} names {setting}, which hub/config.py never reads"
    )


@pytest.mark.parametrize("setting", sorted(settings_candidates()))
def test_every_setting_the_hub_reads_is_documented(
    setting: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if not is_read(setting, monkeypatch, tmp_path):
        return  # a field with no setting of its own (``testing``)
    assert setting in documented_settings(SETTINGS_DOCS), (
        f"the hub reads {setting}, but neither README.md nor docs/OPERATIONS.md says what it does"
    )


def test_a_setting_the_hub_does_not_read_is_caught(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert is_read("HUB_EXIT_URL", monkeypatch, tmp_path)
    assert is_read("HUB_INSTANCE_PATH", monkeypatch, tmp_path)
    assert not is_read("HUB_EXIT_ADDRESS", monkeypatch, tmp_path)
    assert not is_read("HUB_TESTING", monkeypatch, tmp_path)


# -- make targets and routes -----------------------------------------------------------------------


@pytest.mark.parametrize(("where", "target"), documented_make_targets())
def test_every_make_target_named_in_the_docs_exists(where: str, target: str) -> None:
    assert target in makefile_targets(), f"{where} names `make {target}`, which the Makefile does not have"


def test_the_makefile_has_the_targets_operators_rely_on() -> None:
    assert {"run", "test", "lint", "bench"} <= makefile_targets()
    assert {target for _, target in documented_make_targets()} >= {"run", "test", "bench"}


def _serves(app: Flask, route: str) -> bool:
    path = re.sub(r"<[^>]*>", "1", route).replace("...", "x")
    try:
        app.url_map.bind("hub.test").match(path, method="GET")
    except (MethodNotAllowed, RequestRedirect):
        return True  # there, for another method (``/logout`` is a POST) or with a trailing slash
    except NotFound:
        return False
    return True


@pytest.mark.parametrize(("where", "route"), documented_routes())
def test_every_route_named_in_the_docs_exists(app: Flask, where: str, route: str) -> None:
    assert _serves(app, route), f"{where} names the route {route}, which the app does not serve"


def test_a_renamed_route_is_caught(app: Flask) -> None:
    assert _serves(app, "/triage/referrals/<id>")
    assert _serves(app, "/logout")
    assert not _serves(app, "/queue")


# -- the audit log ---------------------------------------------------------------------------------

RECORDERS = {"record", "record_as", "_account_changed", "_signed_in", "viewed", "_alone"}
ACTION = re.compile(r"[a-z_]+(\.[a-z_]+)+")


def _strings(node: ast.AST, assigned: dict[str, list[ast.expr]]) -> Iterator[str]:
    """The action names an argument can hold; an f-string gives its fixed start followed by ``*``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and ACTION.fullmatch(node.value):
        yield node.value
    elif (
        isinstance(node, ast.JoinedStr)
        and node.values
        and isinstance(node.values[0], ast.Constant)
        and isinstance(node.values[0].value, str)
    ):
        yield node.values[0].value + "*"
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body, assigned)
        yield from _strings(node.orelse, assigned)
    elif isinstance(node, ast.Name):
        for value in assigned.get(node.id, []):
            yield from _strings(value, assigned)


def actions_in_code() -> set[str]:
    """Every audit action the hub writes, read from the calls that write entries."""
    found: set[str] = set()
    for source in (PROJECT_ROOT / "hub").rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            assigned: dict[str, list[ast.expr]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned.setdefault(target.id, []).append(node.value)
            for call in ast.walk(function):
                if not isinstance(call, ast.Call):
                    continue
                name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
                if name in RECORDERS:
                    for argument in [*call.args, *(k.value for k in call.keywords if k.arg == "action")]:
                        found.update(_strings(argument, assigned))
    # The timeline writes ``referral.<event>`` for every kind of event.
    if "referral.*" in found:
        found.discard("referral.*")
        found.update(f"referral.{kind.value}" for kind in EventKind)
    return found


def actions_in_audit_doc() -> set[str]:
    text = (PROJECT_ROOT / "docs" / "AUDIT.md").read_text(encoding="utf-8")
    table = text.split("## What is recorded", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {
        re.sub(r"<[^>]*>", "*", action).split("*", 1)[0] + ("*" if "<" in action else "")
        for row in rows
        for action in re.findall(r"`([^`]+)`", row)
    }


def test_the_audit_doc_lists_every_action_the_code_writes() -> None:
    in_code, in_doc = actions_in_code(), actions_in_audit_doc()
    assert len(in_code) > 30  # the reader still finds the calls
    assert in_code - in_doc == set(), "docs/AUDIT.md does not list these actions"
    assert in_doc - in_code == set(), "docs/AUDIT.md lists actions the code never writes"
