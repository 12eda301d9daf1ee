"""The layer contract (trellis.core.layers) over the real import graph, and proof that the check can fail."""


from trellis.core.layers import Import, check, collect_imports, layer_of


def test_a_lower_layer_importing_a_higher_one_is_a_violation():
    bad = Import(importer="trellis.patients.selectors", imported="trellis.attendance.selectors", line=3,
                 top_level=True)
    violations = check([bad])
    assert [v.reason for v in violations] == ["a lower layer imports a higher one"]


def test_a_function_level_import_of_another_app_is_a_violation():
    hidden = Import(importer="trellis.documentation.services", imported="trellis.attendance.models", line=9,
                    top_level=False)
    assert [v.reason for v in check([hidden])] == ["import of another app inside a function"]


def test_downward_top_level_imports_and_own_app_imports_are_allowed():
    fine = [
        Import("trellis.documentation.services", "trellis.attendance.models", 1, True),
        Import("trellis.attendance.views", "trellis.attendance.selectors", 2, False),
    ]
    assert check(fine) == []


def test_the_audit_report_screens_sit_above_accounts_and_the_trail_below():
    assert layer_of("trellis.audit.services") < layer_of("trellis.accounts.policies")
    assert layer_of("trellis.audit.views") > layer_of("trellis.patients.models")


def test_collector_sees_a_function_level_import(tmp_path):
    pkg = tmp_path / "trellis" / "patients"
    pkg.mkdir(parents=True)
    (tmp_path / "trellis" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "views.py").write_text("def f():\n    from trellis.web.navigation import x\n    return x\n")
    found = collect_imports(tmp_path / "trellis")
    assert found == [Import("trellis.patients.views", "trellis.web.navigation", 2, False)]
    assert [v.reason for v in check(found)] == ["a lower layer imports a higher one"]
