"""The ``engagement`` command line (a front end: click).

``app`` holds the group, the shared options and ``main`` (errors to one line);
``compare``, ``data``, ``flags``, ``history`` and ``servers`` add the commands.
"""

from . import compare, data, flags, history, servers  # noqa: F401 - they add their commands
from .app import cli, main

__all__ = ["cli", "main"]
