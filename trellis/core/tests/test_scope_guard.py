"""No inline site scopes: lists are scoped by `Model.objects.restrict(user, capability)` (trellis/core/access.py).

A list of the user's site ids built by hand (`[s.pk for s in sites_with(user, cap)]`, `{s.pk for s in ...}`) or a
filter handed the user's sites directly (`site__in=sites_with(user, cap)`, `program__site_id__in=site_ids_for(...)`)
is a second, private copy of the scope: it drifts from the model's declared `site_path` and from the rule that an
inactive user sees nothing. This test reads every module's syntax tree and names each such construction.

Picking sites for a form or a filter (`sites_with(user, cap)` as a list of Site objects) is not a scope and is
allowed; so is `site_ids_for` where a page reads one site at a time (the audit report's keyset pages).
"""

from __future__ import annotations

import ast
from pathlib import Path

import trellis

ROOT = Path(trellis.__file__).parent
SITE_LISTS = {"sites_with", "site_ids_for", "user_sites"}
# The primitive itself, and accounts registering the resolver that the primitive calls.
ALLOWED = {"core/access.py", "accounts/apps.py"}


def _called(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id
        if isinstance(func, ast.Attribute):
            return func.attr
    return None


def inline_scopes(source: str) -> list[int]:
    """Line numbers of hand-built site scopes in `source`."""
    found: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            takes_ids = isinstance(node.elt, ast.Attribute) and node.elt.attr in {"pk", "id"}
            if takes_ids and any(_called(gen.iter) in SITE_LISTS for gen in node.generators):
                found.append(node.lineno)
        elif isinstance(node, ast.keyword) and node.arg and node.arg.endswith("__in"):
            value = node.value
            if _called(value) in {"list", "set", "tuple"} and value.args:  # site__in=list(sites_with(...))
                value = value.args[0]
            if _called(value) in SITE_LISTS:
                found.append(node.value.lineno)
    return found


def test_the_check_finds_each_inline_construction() -> None:
    sample = (
        "a = [s.pk for s in sites_with(user, Cap.PATIENT_VIEW)]\n"
        "b = {site.id for site in policies.sites_with(user, cap)}\n"
        "c = Episode.objects.filter(program__site__in=sites_with(user, cap))\n"
        "d = Note.objects.filter(session__site_id__in=list(site_ids_for(user, cap)))\n"
        "e = Episode.objects.restrict(user, cap)\n"
        "f = forms.PickSite(sites=sites_with(user, cap))\n"
        "g = [s.name for s in sites_with(user, cap)]\n"
    )
    assert inline_scopes(sample) == [1, 2, 3, 4]


def test_no_inline_site_scope_outside_the_access_primitive() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative in ALLOWED or "/tests/" in f"/{relative}" or "/migrations/" in f"/{relative}":
            continue
        offenders += [f"{relative}:{line}" for line in inline_scopes(path.read_text())]
    assert offenders == [], (
        "Scope lists with Model.objects.restrict(user, capability) (trellis/core/access.py) instead of building "
        f"the user's site ids inline: {offenders}"
    )
