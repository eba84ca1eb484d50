"""The code's shape: imports run one way, and the parse cache fingerprints what parsing runs."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import polars as pl
import pytest

import pipeline.parse_cache as parse_cache
from contract.records import RECORD_SCHEMA, SourceRecord

ROOT = Path(__file__).resolve().parent.parent
# Each layer may import the layers before it, never one after it.
LAYERS = ("contract", "connectors", "pipeline", "pipeline.cli")
PACKAGES = ("contract", "connectors", "pipeline", "worlds", "bench")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path) -> set[str]:
    """The project modules (or names inside them) ``path`` imports, as dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {name for name in found if name.split(".")[0] in PACKAGES}


def module_graph() -> dict[str, set[str]]:
    """Every project module -> the project modules it imports."""
    files = {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        graph[name] = {i for i in project_imports(path) if i in files} - {name}
    return graph


def layer(module: str) -> str:
    """The layer a module belongs to: the longest entry of LAYERS it sits in."""
    return max((lay for lay in LAYERS if module == lay or module.startswith(lay + ".")), key=len)


def test_imports_run_one_way_contract_connectors_pipeline_cli() -> None:
    wrong = [
        f"{module} ({layer(module)}) imports {imported} ({layer(imported)})"
        for module, imports in sorted(module_graph().items())
        if module.split(".")[0] in {"contract", "connectors", "pipeline"}
        for imported in sorted(imports)
        if LAYERS.index(layer(imported)) > LAYERS.index(layer(module))
    ]
    assert wrong == []


def test_no_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = {}
    for module, imports in module_graph().items():
        package = module.split(".")[0]
        packages.setdefault(package, set()).update(i.split(".")[0] for i in imports)
    for package, imports in packages.items():
        imports.discard(package)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in packages.get(start, set()) - seen:
            if nxt == goal or reaches(nxt, goal, seen | {nxt}):
                return True
        return False

    assert [p for p in sorted(packages) if reaches(p, p, set())] == []


def test_the_contract_imports_nothing_of_the_project() -> None:
    graph = module_graph()
    outside = {i for m, imports in graph.items() if m.startswith("contract") for i in imports}
    assert {i for i in outside if not i.startswith("contract")} == set()


def modules_parsing_runs() -> set[str]:
    """connectors.registry and every project module it reaches through imports."""
    graph = module_graph()
    reached, pending = set(), ["connectors.registry"]
    while pending:
        module = pending.pop()
        if module not in reached:
            reached.add(module)
            pending.extend(graph[module])
    return reached


def test_changing_any_module_parsing_runs_changes_the_parse_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A copy of the code, so each module's bytes can be changed in turn.
    for package in PACKAGES:
        if not (ROOT / package).is_dir():
            continue
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    monkeypatch.setattr(parse_cache, "_ROOT", tmp_path)

    def fingerprint() -> str:
        parse_cache.code_version.cache_clear()
        return parse_cache.code_version()

    parse_cache.code_version.cache_clear()
    try:
        before = fingerprint()
        stale = []
        for module in sorted(modules_parsing_runs()):
            path = tmp_path / (module.replace(".", "/") + ".py")
            if not path.exists():
                path = tmp_path / module.replace(".", "/") / "__init__.py"
            original = path.read_bytes()
            path.write_bytes(original + b"\n# a changed rule\n")
            if fingerprint() == before:
                stale.append(module)
            path.write_bytes(original)
        assert stale == []
        assert "contract.rules" in modules_parsing_runs()
        # A stage that parsing never runs is not part of the fingerprint.
        score = tmp_path / "pipeline" / "score.py"
        score.write_bytes(score.read_bytes() + b"\n# a changed ranking\n")
        assert fingerprint() == before
    finally:
        parse_cache.code_version.cache_clear()


def test_the_record_frame_schema_follows_the_record_model() -> None:
    assert list(RECORD_SCHEMA) == ["record_id", *SourceRecord.model_fields]
    assert RECORD_SCHEMA["source_row"] == pl.Int64()
    assert RECORD_SCHEMA["class_year"] == pl.Int32()
    assert RECORD_SCHEMA["message_count"] == pl.Int32()
    assert RECORD_SCHEMA["confidence"] == pl.Float64()
    assert RECORD_SCHEMA["connected_on"] == pl.Date()
    assert RECORD_SCHEMA["source_kind"] == pl.String()
