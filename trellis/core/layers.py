"""The dependency contract between Trellis apps, checked over the import graph (`python -m trellis.core.layers`).

Layers, lowest first. A module may import from its own layer and the layers below it, never above: a lower app
that must react to a higher one exposes a hook (a signal or a registry in core) instead. Imports of other apps
sit at module top: an import tucked inside a function to dodge a cycle means the layers are wrong. The only
function-level imports allowed are in `AppConfig.ready()`, where apps register their hooks once the registry
is loaded, and under `if TYPE_CHECKING:`.

Tests, migrations and the test-support package (`trellis.core.testing`) are outside the contract: tests of a
low app may build data with a higher app's factories, and migrations name models by string.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Lowest first. Names are module prefixes; the longest matching prefix decides a module's layer. The audit
# trail (writing, sealing, verifying events) sits under accounts so that every app, accounts included, can
# record events; the audit *report* screens read staff and patients and so sit above them.
LAYERS: list[tuple[str, ...]] = [
    ("trellis.core",),
    ("trellis.audit",),
    ("trellis.accounts",),
    ("trellis.patients",),
    ("trellis.audit.views", "trellis.audit.forms", "trellis.audit.selectors", "trellis.audit.urls"),
    ("trellis.programs",),
    ("trellis.referrals", "trellis.consents"),
    ("trellis.episodes",),
    ("trellis.scheduling",),
    ("trellis.attendance",),
    ("trellis.careplans", "trellis.documentation"),
    ("trellis.coverage",),
    ("trellis.compliance", "trellis.outcomes"),
    ("trellis.billing", "trellis.telehealth", "trellis.teams"),
    ("trellis.reports",),
    ("trellis.web",),
    ("trellis.config",),
]

OUTSIDE_CONTRACT = ("trellis.core.testing",)


def layer_of(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def app_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    top_level: bool


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}: {self.reason}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _in_contract(module: str, path: Path) -> bool:
    if "tests" in path.parts or "migrations" in path.parts:
        return False
    return not any(module == p or module.startswith(p + ".") for p in OUTSIDE_CONTRACT)


class _Collector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool) -> None:
        self.module, self.is_package = module, is_package
        self.imports: list[Import] = []
        self._depth = 0  # inside a function body
        self._allowed_depth = 0  # inside ready() or TYPE_CHECKING, where local imports are fine

    def _resolve(self, node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = self.module.split(".")
        if not self.is_package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def _add(self, name: str, line: int) -> None:
        if name.startswith("trellis."):
            top = self._depth == 0 or self._allowed_depth > 0
            self.imports.append(Import(self.module, name, line, top))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._resolve(node)
        for alias in node.names:
            # `from trellis.x import models` names a module; `from trellis.x.models import Y` names a symbol.
            self._add(base if alias.name == "*" else base, node.lineno)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        allowed = node.name == "ready"
        self._depth += 1
        self._allowed_depth += allowed
        self.generic_visit(node)
        self._allowed_depth -= allowed
        self._depth -= 1

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            self._allowed_depth += 1
            for child in node.body:
                self.visit(child)
            self._allowed_depth -= 1
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)


def collect_imports(root: Path) -> list[Import]:
    """Every `trellis.*` import of every module under `root` (the `trellis` package folder)."""
    found: list[Import] = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path, root)
        if not _in_contract(module, path):
            continue
        collector = _Collector(module, path.name == "__init__.py")
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        found.extend(collector.imports)
    return found


def check(imports: Iterable[Import]) -> list[Violation]:
    violations: list[Violation] = []
    for imp in imports:
        if app_of(imp.importer) == app_of(imp.imported) and layer_of(imp.importer) == layer_of(imp.imported):
            continue
        low, high = layer_of(imp.imported), layer_of(imp.importer)
        if low is None or high is None:
            violations.append(Violation(imp.importer, imp.imported, imp.line, "module is in no layer"))
            continue
        if low > high:
            violations.append(
                Violation(imp.importer, imp.imported, imp.line, "a lower layer imports a higher one")
            )
        elif not imp.top_level:
            violations.append(
                Violation(imp.importer, imp.imported, imp.line, "import of another app inside a function")
            )
    return violations


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parent.parent
    violations = check(collect_imports(root))
    for violation in violations:
        print(violation)
    print(f"layers: {len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
