"""engagement.extras: which modules each optional extra brings, and the message a front end
started without its extra gives (which ``pip install`` to run)."""

from __future__ import annotations

import re
import sys
import tomllib

import pytest

from engagement.errors import MissingExtraError, UsageError
from engagement.extras import EXTRAS, require

from .conftest import ROOT


def test_every_extra_is_installed_here() -> None:
    for extra in EXTRAS:
        require(extra, f"the {extra} front end")  # the test environment holds [all]


def test_a_missing_module_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # a module set to None in sys.modules is one Python cannot import: not installed
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingExtraError) as caught:
        require("dask", "the dask engine")
    assert str(caught.value) == (
        "the dask engine needs the 'dask' extra (distributed not installed): "
        "pip install 'engagement[dask]'"
    )
    assert isinstance(caught.value, UsageError) and caught.value.exit_code == 2
    assert (caught.value.feature, caught.value.extra) == ("the dask engine", "dask")
    assert caught.value.missing == ["distributed"]
    require("api", "engagement serve")  # another extra is not affected


def test_every_missing_module_is_named_in_the_declared_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("matplotlib", "voila"):  # set out of order
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtraError) as caught:
        require("dashboard", "engagement dashboard")
    assert caught.value.missing == ["voila", "matplotlib"]
    assert str(caught.value) == (
        "engagement dashboard needs the 'dashboard' extra (voila, matplotlib not installed): "
        "pip install 'engagement[dashboard]'"
    )
    with pytest.raises(MissingExtraError, match=r"\(matplotlib not installed\)"):
        require("notebooks", "engagement report")  # matplotlib is in two extras


def test_each_extra_is_declared_with_its_modules_distributions() -> None:
    """An extra the code requires is one pyproject.toml declares, and each module it checks
    comes from a distribution of that extra (python_multipart from python-multipart)."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(EXTRAS) <= set(declared)
    assert set(EXTRAS) | {"all", "dev", "bench"} == set(declared)
    for extra, modules in EXTRAS.items():
        names = {re.split(r"[<>=!~\[; ]", spec)[0].lower() for spec in declared[extra]}
        for module in modules:
            assert module.replace("_", "-") in names, (extra, module)
    assert declared["all"] == [f"engagement[{','.join(EXTRAS)}]"]
