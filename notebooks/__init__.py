"""The notebooks (papermill report, Voila dashboard), shipped as package data: an installed
engagement finds them as ``engagement.notebooks``."""
