"""The package as users install it: a wheel in a fresh virtual environment, not this checkout.

The wheel holds every module and the notebooks (package data); installed with the
``notebooks`` extra only, ``engagement report`` runs from another directory, and each front
end whose extra is missing says which one to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import ROOT, SAMPLE, MongoServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (found,) = out.glob("engagement-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel and its ``notebooks`` extra; yields its bin folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(home)
    bin_dir = home / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", f"{wheel}[notebooks]"],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    yield bin_dir
    shutil.rmtree(home, ignore_errors=True)


def test_the_wheel_holds_every_module_and_the_notebooks(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("engagement", "api"):
        for path in (ROOT / folder).rglob("*.py"):
            assert str(path.relative_to(ROOT)) in names, path
    for notebook in ("etl.ipynb", "dashboard.ipynb"):
        assert f"engagement/notebooks/{notebook}" in names
    assert "engagement/py.typed" in names
    assert not any(name.startswith(("tests/", "bench/", "notebooks/")) for name in names)


def test_report_runs_from_another_directory(
    installed: Path, mongo_server: MongoServer, tmp_path: Path
) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(SAMPLE, work / "export.csv")
    env = {
        "PATH": f"{installed}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "ENGAGEMENT_MONGODB_URI": mongo_server.uri,
        "ENGAGEMENT_DB": "packaging",
    }
    done = subprocess.run(
        [str(installed / "engagement"), "report", "--input", "export.csv", "--json"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["run"]["status"] == "succeeded" and out["run"]["accepted"] == 10_000
    html = work / out["html"]
    assert html.is_file() and "campaign_" in html.read_text()
    # the notebook came from the installed package, not from a checkout
    where = subprocess.run(
        [str(installed / "python"), "-c", "import engagement; print(engagement.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in where


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        (["serve"], "api"),
        (["dashboard"], "dashboard"),
        (["etl", "export.csv", "--engine", "dask"], "dask"),
    ],
)
def test_a_front_end_without_its_extra_says_which_to_install(
    installed: Path, tmp_path: Path, command: list[str], extra: str
) -> None:
    shutil.copy(SAMPLE, tmp_path / "export.csv")
    done = subprocess.run(
        [str(installed / "engagement"), *command],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert f"needs the '{extra}' extra" in done.stderr
    assert f"pip install 'engagement[{extra}]'" in done.stderr
