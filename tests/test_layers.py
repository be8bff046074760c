"""The package's layers: dependencies point one way.

The ETL (``engagement/etl``) imports nothing of the store, the store (``engagement/store``)
nothing of the ETL; both build on the schema, the rules and the errors. No library module
imports a front end (the CLI, the dashboard, the report runner, the API) or its stack at
import time: the front ends sit at the edge, and their stacks are extras.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import engagement

PACKAGE = Path(engagement.__file__).resolve().parent
FRONT_ENDS = ("engagement.cli", "engagement.dashboard", "engagement.report", "api")
STACKS = (
    "click",
    "ipywidgets",
    "voila",
    "papermill",
    "nbconvert",
    "nbformat",
    "matplotlib",
    "fastapi",
    "uvicorn",
    "tqdm",
    "plotly",
    "anywidget",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_at_import_time(path: Path) -> set[str]:
    """Modules a file imports at module level (not inside functions), absolute."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_at_import_time(p) for p in sorted(PACKAGE.rglob("*.py"))}


def inside(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_etl_and_the_store_do_not_know_each_other() -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        for target in targets
        if (inside(module, "engagement.etl") and inside(target, "engagement.store"))
        or (inside(module, "engagement.store") and inside(target, "engagement.etl"))
    ]
    assert wrong == []


def test_neither_reaches_up_to_the_pipeline_or_the_serving_cache() -> None:
    above = ("engagement.pipeline", "engagement.serving", "engagement.settings", *FRONT_ENDS)
    wrong = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if inside(module, "engagement.etl") or inside(module, "engagement.store")
        for target in targets
        if any(inside(target, up) for up in above)
    ]
    assert wrong == []


def test_no_library_module_imports_a_front_end_or_its_stack() -> None:
    wrong = [
        f"{module} -> {target}"
        for module, targets in graph().items()
        if not any(inside(module, front) for front in FRONT_ENDS)
        for target in targets
        if any(inside(target, other) for other in (*FRONT_ENDS, *STACKS))
    ]
    assert wrong == []


def test_importing_the_library_loads_no_front_end_stack() -> None:
    code = (
        "import sys, engagement, engagement.etl.transform, engagement.store.queries, "
        "engagement.serving, engagement.settings, engagement.pipeline\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {STACKS!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def imports_anywhere(path: Path) -> set[str]:
    """Top-level names of every module a file imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_store_speaks_to_mongodb() -> None:
    """pymongo and bson are the store's own: every other module (the library's, the API's,
    the notebooks' helpers) reads and writes through ``engagement.store``."""
    files = [*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "api").rglob("*.py")]
    store = PACKAGE / "store"
    assert len(files) > 60
    wrong = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in files
        if store not in path.parents and imports_anywhere(path) & {"pymongo", "bson"}
    )
    assert wrong == []
    # and the store does
    assert {"pymongo"} <= imports_anywhere(store / "connection.py")


#: What reads published data or the ledger: a front end asks ``engagement.serving``.
READERS = ("queries", "pages", "buckets", "movers", "layout", "history", "publish")


def test_front_ends_read_through_serving() -> None:
    """The API, the CLI, the dashboard, the report and exports read published data through
    ``engagement.serving`` only: none imports the store's read modules (at import time or
    inside a function)."""
    files = [
        *(PACKAGE.parent / "api").rglob("*.py"),
        *(p for front in ("cli", "dashboard", "report") for p in (PACKAGE / front).rglob("*.py")),
        PACKAGE / "exports.py",
        *(PACKAGE.parent / "notebooks").glob("*.py"),
    ]
    forbidden = {f"engagement.store.{name}" for name in READERS}
    wrong = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                package = module_name(path).rpartition(".")[0]
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + [node.module or ""]) if node.level else node.module
                names = {f"{target}.{alias.name}" for alias in node.names}
                if ({target} | names) & forbidden:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
            elif isinstance(node, ast.Import):
                if {alias.name for alias in node.names} & forbidden:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert len(files) > 20
    assert wrong == []


def test_one_helper_starts_the_embedded_server() -> None:
    """``embedded.Server`` is the only code that runs SecantusDB: the tests' fixtures, the
    bench and ``engagement db start`` (``ensure_running``) all start it through it."""
    root = PACKAGE.parent
    starters = []
    for path in sorted(
        [*PACKAGE.rglob("*.py"), *(root / "api").rglob("*.py"), *(root / "bench").glob("*.py")]
        + sorted((root / "tests").rglob("*.py"))
    ):
        text = path.read_text()
        for needle in ("server_command(", '"secantus"', "secantusd"):
            if needle in text and path.name not in ("test_layers.py",):
                starters.append((str(path.relative_to(root)), needle))
    assert starters == [
        ("engagement/store/embedded.py", "server_command("),
        ("engagement/store/embedded.py", '"secantus"'),
    ]
    from engagement.store import embedded

    from .conftest import MongoServer

    assert issubclass(MongoServer, embedded.Server)
    assert any(
        "class Server(embedded.Server):" in path.read_text()
        for path in (root / "bench").glob("*.py")
    )
