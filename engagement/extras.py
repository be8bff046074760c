"""The optional parts of the install: which extra a front end (or Dask) needs.

``pip install engagement`` holds the library and the CLI; ``engagement[api]``,
``[dashboard]``, ``[notebooks]`` and ``[dask]`` add a front end's stack each, ``[all]`` every
one. A front end started without its extra says which one to install.
"""

from __future__ import annotations

from importlib.util import find_spec

from .errors import MissingExtraError

#: The modules each extra brings.
EXTRAS: dict[str, tuple[str, ...]] = {
    "api": ("fastapi", "uvicorn", "python_multipart"),
    "dashboard": ("voila", "ipywidgets", "ipykernel", "matplotlib", "plotly", "anywidget"),
    "notebooks": ("papermill", "nbconvert", "nbformat", "ipykernel", "matplotlib"),
    "dask": ("dask", "distributed"),
}


def require(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` if a module of ``extra`` is not installed."""
    missing = [name for name in EXTRAS[extra] if find_spec(name) is None]
    if missing:
        raise MissingExtraError(feature, extra, missing)
