"""The REST API over the engagement library (FastAPI); see DESIGN.md "REST"."""
