"""The package's layout is its pipeline: every import runs with the data's trip.

transcript -> index -> ingest -> (config, pricing, live, runtime) -> web -> (main, cli,
terminal); a module imports only from its own stage or the stages before it, never in a
cycle. `demo` stands
apart: it builds on `transcript` alone, and only `cli` uses it. The worker processes load the
transcript package and `ingest.batches` / `ingest.workers`, nothing heavy.

Every `import` and `from ... import` counts: at module level, in functions, and under
`TYPE_CHECKING` (a type-only import still says what a module depends on).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "claude_code_tracer"
ROOT = Path(__file__).resolve().parents[1] / "src" / PACKAGE

# the stage of each top-level module or folder, in import order
STAGES = {
    "transcript": 0,
    "index": 1,
    "ingest": 2,
    "config": 3,
    "pricing": 3,
    "live": 3,
    "runtime": 3,
    "web": 4,
    "main": 5,
    "cli": 5,
    "terminal": 5,
}
APART = "demo"
ANYONE = {PACKAGE, f"{PACKAGE}.data"}  # the version, the price snapshot's package
WORKER_MODULES = (f"{PACKAGE}.transcript", f"{PACKAGE}.ingest.batches", f"{PACKAGE}.ingest.workers")
HEAVY = {"duckdb", "fastapi", "pydantic", "jinja2", "starlette", "uvicorn"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name a `from` import starts from."""
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{node.module}" if node.module else package


def imports(module: str) -> tuple[set[str], set[str]]:
    """(modules of the package, top-level names of everything else) that `module` imports."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    ours: set[str] = set()
    theirs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(module, node)
            names = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                while name not in MODULES:  # an attribute of a module, or a module of a package
                    name = name.rpartition(".")[0]
                ours.add(name)
            else:
                theirs.add(name.partition(".")[0])
    ours.discard(module)
    return ours, theirs


GRAPH = {m: imports(m)[0] for m in MODULES}


def top(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_every_module_has_a_place() -> None:
    assert len(MODULES) > 60
    unplaced = [m for m in MODULES if m not in ANYONE and top(m) not in {*STAGES, APART}]
    assert not unplaced, f"modules in no stage: {unplaced}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_pipeline(module: str) -> None:
    here = top(module)
    for target in sorted(GRAPH[module]):
        there = top(target)
        if target in ANYONE:
            continue
        if here == APART:
            assert there in (APART, "transcript"), f"{module} imports {target}"
        elif there == APART:
            assert here == "cli", f"{module} imports {target} (only cli uses demo)"
        else:
            assert STAGES[there] <= STAGES[here], f"{module} imports {target}, a later stage"
            assert not (here == "main" and there == "cli"), f"{module} imports {target}"


def test_no_import_cycle() -> None:
    """Tarjan's strongly connected components: every one must be a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(GRAPH[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert not cycles, f"import cycles: {cycles}"


def test_worker_processes_load_nothing_heavy() -> None:
    """What a worker process imports (with every package on the way) stays on the worker
    side, and none of it imports the database, the web stack or the models."""
    start = [m for m in MODULES if m.startswith(WORKER_MODULES)]
    assert f"{PACKAGE}.transcript.parser" in start and f"{PACKAGE}.ingest.workers" in start
    seen: set[str] = set()
    todo = list(start)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parent = module.rpartition(".")[0]
        todo += [*GRAPH[module], *([parent] if parent in MODULES else [])]
    outside = sorted(m for m in seen if not m.startswith(WORKER_MODULES) and m not in ANYONE)
    assert outside == [f"{PACKAGE}.ingest"], outside  # the package itself: a docstring
    for module in sorted(seen):
        heavy = imports(module)[1] & HEAVY
        assert not heavy, f"{module} imports {sorted(heavy)}"
