"""Property-based fuzzing of the OpenAPI schema (schemathesis, bounded): no 500s, and every
response conforms to the documented schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ..conftest import ApiServer, api_env

EXAMPLES = 60


@pytest.mark.parametrize("key", [None, "fuzz-key"], ids=["open", "keyed"])
def test_every_operation_survives_fuzzing(
    loaded: dict[str, Any],
    key: str | None,
    figures: dict[str, Any],
) -> None:
    extra = {"ENGAGEMENT_API_KEY": key} if key else {}
    headers = {"X-API-Key": key} if key else None
    server = ApiServer(api_env(loaded, **extra))
    try:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 14
        cases = 0
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                nonlocal cases
                cases += 1
                # any bytes are a schema-valid CSV body, but most are no export: 422 is right
                upload = (case.method.upper(), case.path) == ("POST", "/runs")
                excluded = [positive_data_acceptance] if upload else []
                case.call_and_validate(headers=headers, excluded_checks=excluded)

            try:
                check()
            except Exception as exc:  # name the operation that failed
                pytest.fail(f"{operation.method.upper()} {operation.path}: {exc}")
        assert cases >= len(operations) * 10
        found = figures.setdefault("schemathesis", {"operations": 11, "cases": 0, "errors": 0})
        found["cases"] += cases
    finally:
        server.stop()
