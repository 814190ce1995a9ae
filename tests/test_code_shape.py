"""Functions stay short enough to read at once: a view (a function a blueprint routes to) at most 25
lines, any other function at most 50, counted from its ``def`` line to its last line.

A longer one says why in a comment ``# long: <reason>`` on its ``def`` line or the line above it
(or above its decorators). Read from the source with ``ast``, so nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

HUB = Path(__file__).resolve().parent.parent / "hub"
VIEW_MAX = 25
FUNCTION_MAX = 50
ROUTES = frozenset({"route", "get", "post", "put", "patch", "delete"})
REASON = re.compile(r"#\s*long:\s*\S")


@dataclass(frozen=True)
class Function:
    where: str  # "hub/kpi/views.py:return_page"
    line: int
    length: int
    view: bool
    reason_given: bool

    @property
    def limit(self) -> int:
        return VIEW_MAX if self.view else FUNCTION_MAX

    @property
    def too_long(self) -> bool:
        return self.length > self.limit and not self.reason_given


def _is_route(decorator: ast.expr) -> bool:
    return (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in ROUTES
    )


def functions_in(path: str, source: str) -> list[Function]:
    lines = source.splitlines()

    def reason_near(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        near = {node.lineno, node.lineno - 1, first - 1}
        return any(REASON.search(lines[n - 1]) for n in near if 1 <= n <= len(lines))

    found = []

    def visit(node: ast.AST, names: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                qualified = (*names, child.name)
                found.append(
                    Function(
                        where=f"{path}:{'.'.join(qualified)}",
                        line=child.lineno,
                        length=(child.end_lineno or child.lineno) - child.lineno + 1,
                        view=any(_is_route(d) for d in child.decorator_list),
                        reason_given=reason_near(child),
                    )
                )
                visit(child, qualified)
            elif isinstance(child, ast.ClassDef):
                visit(child, (*names, child.name))
            else:
                visit(child, names)

    visit(ast.parse(source), ())
    return found


def every_function() -> list[Function]:
    return [
        function
        for path in sorted(HUB.rglob("*.py"))
        for function in functions_in(
            path.relative_to(HUB.parent).as_posix(), path.read_text(encoding="utf-8")
        )
    ]


def test_no_function_is_too_long_without_saying_why() -> None:
    long = [
        f"{f.where} (line {f.line}): {f.length} lines, more than {f.limit}{' for a view' if f.view else ''}"
        for f in every_function()
        if f.too_long
    ]
    assert long == [], "split these, or say why on the def line with '# long: <reason>':\n" + "\n".join(long)


def _body(lines: int, indent: int = 4) -> str:
    """The rest of a function ``lines`` long, after its def line."""
    return "".join(f"{' ' * indent}x{n} = {n}\n" for n in range(lines - 1))


@pytest.mark.parametrize(
    ("source", "too_long"),
    [
        (f"def f():\n{_body(50)}", False),
        (f"def f():\n{_body(51)}", True),
        (f"def f():  # long: one table of every answer\n{_body(51)}", False),
        (f"# long: one table of every answer\ndef f():\n{_body(51)}", False),
        (f"def f():  # long:\n{_body(51)}", True),  # a reason must be given
        (f"class A:\n    def f(self):\n{_body(51, 8)}", True),
        (f"@bp.get('/x')\n@roles_required(Role.ADMIN)\ndef v():\n{_body(25)}", False),
        (f"@bp.get('/x')\n@roles_required(Role.ADMIN)\ndef v():\n{_body(26)}", True),
        (f"@bp.route('/x', methods=['POST'])\ndef v():\n{_body(26)}", True),
        (f"# long: the page has three steps\n@bp.post('/x')\ndef v():\n{_body(26)}", False),
        (f"@click.command('x')\ndef c():\n{_body(26)}", False),  # a command is not a view
        (f"def outer():\n    def inner():\n{_body(51, 8)}", True),
    ],
)
def test_the_check_finds_a_long_function_and_accepts_a_reason(source: str, too_long: bool) -> None:
    found = functions_in("hub/example.py", source)
    assert any(f.too_long for f in found) is too_long, [(f.where, f.length, f.view) for f in found]


def test_the_check_reads_every_module() -> None:
    found = {f.where for f in every_function()}
    assert {"hub/kpi/views.py:return_page", "hub/forms.py:line", "hub/__init__.py:create_app"} <= found
