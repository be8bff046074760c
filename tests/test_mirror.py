"""``tests/`` mirrors the package: each library module ``engagement/<path>/<name>.py`` has its
test module ``tests/<path>/test_<name>.py``; end-to-end and reliability tests live in folders
of their own (``tests/e2e/``, ``tests/reliability/``), the API's in ``tests/api/``."""

from __future__ import annotations

from pathlib import Path

import engagement

PACKAGE = Path(engagement.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent
OWN_FOLDERS = {"api", "e2e", "reliability", "cases", "__pycache__"}


def modules() -> list[Path]:
    return sorted(p.relative_to(PACKAGE) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py")


def test_every_library_module_has_its_test_module() -> None:
    missing = [
        str(module)
        for module in modules()
        if not (TESTS / module.parent / f"test_{module.stem}.py").is_file()
    ]
    assert len(modules()) > 60
    assert missing == []


def test_every_test_folder_is_a_package_of_the_library_or_one_of_its_own() -> None:
    folders = {p.relative_to(TESTS) for p in TESTS.rglob("*") if p.is_dir()}
    folders = {f for f in folders if not set(f.parts) & {"__pycache__", "cases"}}
    stray = [
        str(f)
        for f in sorted(folders)
        if f.parts[0] not in OWN_FOLDERS and not (PACKAGE / f).is_dir()
    ]
    assert stray == []
    for folder in folders:
        assert (TESTS / folder / "__init__.py").is_file(), folder  # module names stay unique
    assert not list(TESTS.glob("test_reliability*.py")) and not list(TESTS.glob("test_api*.py"))
