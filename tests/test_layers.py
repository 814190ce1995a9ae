"""Dependencies point one way: the core knows no feature, ``auth`` and ``providers`` know nothing of
referrals or KPIs, ``feedback`` (survivors' anonymous answers) and ``measures`` (the registry of outcome
measures) know nothing of referrals or KPIs either, so no answer can be tied to a case through them,
referrals know nothing of KPIs, ``privacy`` (a person's rights and retention) may read referrals but
nothing below it knows ``privacy``, ``workplace`` (the staff's navigation and home pages) sits above them
all and nothing but the app factory knows it, and nothing but the app factory reaches into views.

Read from the source with ``ast``, so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HUB = Path(__file__).resolve().parent.parent / "hub"

# The modules that put the parts together. Each must know every part, so each may import any.
COMPOSITION = {
    "hub": "the app factory registers every blueprint",
    "hub.cli": "the operator's commands run services from every part",
    "hub.demo": "demo data is made through every part's services",
    "hub.models": "the registry of every model, so the schema and rotation see every table",
}

FORBIDDEN = {
    "core": (
        "hub.referrals",
        "hub.kpi",
        "hub.auth",
        "hub.providers",
        "hub.privacy",
        "hub.workplace",
        "hub.feedback",
        "hub.measures",
    ),
    "hub.auth": ("hub.referrals", "hub.kpi", "hub.privacy", "hub.workplace", "hub.feedback", "hub.measures"),
    "hub.providers": (
        "hub.referrals",
        "hub.kpi",
        "hub.privacy",
        "hub.workplace",
        "hub.feedback",
        "hub.measures",
    ),
    "hub.feedback": ("hub.referrals", "hub.kpi", "hub.privacy", "hub.workplace", "hub.measures"),
    "hub.measures": ("hub.referrals", "hub.kpi", "hub.privacy", "hub.workplace", "hub.feedback"),
    "hub.referrals": ("hub.kpi", "hub.privacy", "hub.workplace"),
    "hub.kpi": ("hub.privacy", "hub.workplace"),
    "hub.privacy": ("hub.kpi", "hub.workplace"),
    "hub.workplace": (),
}

# The core may lean on sign-in (who is asking) and the model registry only where it says why.
CORE_ALLOWED = {
    ("hub.keys", "hub.models"): "rotation reads every sealed column, so it loads every model",
    ("hub.instance", "hub.cli"): "init seals what older releases kept plain, as `keys seal-plain` does",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(HUB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    return imports_in(
        module_name(path), path.read_text(encoding="utf-8"), is_package=path.name == "__init__.py"
    )


def imports_in(name: str, source: str, *, is_package: bool = False) -> set[str]:
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {imported for imported in found if imported == "hub" or imported.startswith("hub.")}


def part_of(name: str) -> str:
    parts = ("hub.auth", "hub.providers", "hub.feedback", "hub.measures", "hub.referrals", "hub.kpi")
    for part in (*parts, "hub.privacy", "hub.workplace"):
        if name == part or name.startswith(part + "."):
            return part
    return "core"


def under(imported: str, package: str) -> bool:
    return imported == package or imported.startswith(package + ".")


MODULES = sorted(HUB.rglob("*.py"))


def test_every_module_is_read() -> None:
    names = {module_name(path) for path in MODULES}
    assert {"hub.db", "hub.auth.services", "hub.providers.services", "hub.referrals.intake"} <= names
    assert set(COMPOSITION) <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_imports_point_one_way(path: Path) -> None:
    name = module_name(path)
    if name in COMPOSITION:
        return
    part = part_of(name)
    wrong = sorted(
        imported
        for imported in imports_of(path)
        if any(under(imported, forbidden) for forbidden in FORBIDDEN[part])
        or (part == "core" and under(imported, "hub.models") and (name, "hub.models") not in CORE_ALLOWED)
        or (imported in COMPOSITION and imported != "hub" and (name, imported) not in CORE_ALLOWED)
    )
    assert wrong == [], f"{name} ({part}) must not import {', '.join(wrong)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_only_the_app_factory_reaches_into_views(path: Path) -> None:
    name = module_name(path)
    if name == "hub":
        return
    views = sorted(
        imported
        for imported in imports_of(path)
        if imported.rpartition(".")[2].endswith("views") and imported != name
    )
    assert views == [], f"{name} imports views: {', '.join(views)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_services_do_not_read_forms(path: Path) -> None:
    """Vocabulary lives in the model layer; forms are read by views and other forms only."""
    name = module_name(path)
    leaf = name.rpartition(".")[2]
    if leaf.endswith(("views", "forms")) or name == "hub.posted":
        return
    forms = sorted(imported for imported in imports_of(path) if imported.rpartition(".")[2].endswith("forms"))
    assert forms == [], f"{name} is not a view or a form, yet imports {', '.join(forms)}"


def test_the_check_sees_an_upward_import() -> None:
    """The reader finds imports inside functions and relative ones, so the rules above can fail."""
    code = "import hub.db\n\ndef later():\n    from ..referrals import intake\n    from .models import Role\n"
    found = imports_in("hub.auth.services", code)
    assert {"hub.db", "hub.referrals", "hub.referrals.intake", "hub.auth.models.Role"} <= found
    assert any(under(imported, "hub.referrals") for imported in found)
    assert part_of("hub.auth.services") == "hub.auth" and part_of("hub.calendar") == "core"
    assert part_of("hub.workplace.home") == "hub.workplace"
    assert part_of("hub.feedback.codes") == "hub.feedback" and part_of("hub.measures") == "hub.measures"
