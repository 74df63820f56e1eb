"""Hostile-input fuzzing of every API operation, generated from the API's own OpenAPI schema.

Each operation is called with cases schemathesis generates from its schema, valid and
invalid (negative mode: wrong types, missing fields, out-of-range values), with a brand's
API key and without one. Whatever is sent, the portal answers with no 5xx, with a status
the schema documents for the operation, with a body of the documented shape and content type.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import load_api_schema

schema = load_api_schema()

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]

# About 16 operations x 2 callers: kept small enough that the whole fuzz runs in under a minute on SQLite.
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    # The brand and key fixtures are function-scoped and shared by every example on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented_with_a_brand_key(case: Case, fuzz_key: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {fuzz_key}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented_without_a_key(case: Case) -> None:
    case.call_and_validate(checks=CHECKS)
