"""The analysts' dashboard (a front end: ipywidgets, served by Voila)."""

from .app import Dashboard, visit

__all__ = ["Dashboard", "visit"]
