"""The layering of docs/CONVENTIONS.md, checked on the source: imports point only downward, no module over 500
lines, no private name imported across modules."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "selloff"
LAYER = {  # package -> rank; a module may import only from ranks <= its own (its own package included)
    "errors": 0, "timeutil": 0, "calendar": 0, "config": 0, "universe": 0, "redact": 0, "compute": 0, "texts": 0,
    "diskcache": 0,
    "sources": 1, "simulate": 1, "store": 2, "analytics": 3, "check": 4, "report": 4,
    "pipeline": 5, "api": 6, "cli": 7, "web": 7,
}
ABOVE_PIPELINE = {"api", "cli", "web"}


def _modules():
    for p in sorted(SRC.rglob("*.py")):
        rel = p.relative_to(SRC)
        yield p, rel.parts[0].removesuffix(".py")


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("selloff"):
            yield node.module, [a.name for a in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("selloff"):
                    yield a.name, [], node.lineno


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


@pytest.mark.parametrize("path, pkg", list(_modules()), ids=lambda x: str(x) if isinstance(x, Path) else x)
def test_imports_point_downward(path, pkg):
    if pkg in ("__init__", "__main__"):
        return
    rank = LAYER[pkg]
    for module, names, line in _imports(path):
        target = _package(module)
        if target is None:  # `from selloff import api`
            target = names[0] if names else None
        if target is None or target not in LAYER:
            continue
        assert LAYER[target] <= rank, f"{path.relative_to(SRC)}:{line} imports {module} (layer {target} is above {pkg})"
        if pkg in ABOVE_PIPELINE:
            assert target != "store", f"{path.relative_to(SRC)}:{line}: above pipeline/, go through the pipeline"


@pytest.mark.parametrize("path, pkg", list(_modules()), ids=lambda x: str(x) if isinstance(x, Path) else x)
def test_module_size_and_no_private_imports(path, pkg):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= 500, f"{path.relative_to(SRC)} has {n} lines"
    for module, names, line in _imports(path):
        private = [x for x in names if x.startswith("_")]
        assert not private, f"{path.relative_to(SRC)}:{line} imports private {private} from {module}"


WEB_ALLOWED = ("selloff.api", "selloff.errors", "selloff.config", "selloff.redact", "selloff.report.format", "selloff.web")


@pytest.mark.parametrize("path", sorted((SRC / "web").rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_web_reads_through_the_api_only(path):
    """Every page and endpoint calls selloff.api (plus errors, config, redaction and the number formatter): never the store,
    the pipeline, the analytics or the sources."""
    for module, names, line in _imports(path):
        full = [module] if module != "selloff" else [f"selloff.{n}" for n in names]
        for m in full:
            assert m.startswith(WEB_ALLOWED), f"{path.relative_to(SRC)}:{line} imports {m}; the web layer goes through selloff.api"
