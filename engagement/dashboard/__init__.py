"""The analysts' dashboard (a front end: ipywidgets, served by Voila)."""

from .app import Dashboard

__all__ = ["Dashboard"]
