"""Every operation of the OpenAPI, fuzzed with schemathesis: no input gives a 5xx, every documented
answer matches its schema (issue #18: "0 5xx and 0 schema mismatches").

Bounded and deterministic: a fixed number of examples per operation and derandomised generation on
one app (one database). Requests carry the admin key, so they reach the handlers instead of stopping
at authentication; the route × role table (test_route_roles.py) covers access. Schemathesis' pytest
plugin is not used (its fixture loader does not run on this pytest); its strategies and checks are.
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import APIOperation, Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api.conftest import ADMIN_KEY

EXAMPLES_PER_OPERATION = 8
BOUNDED = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def fuzz(operation: APIOperation) -> None:
    @BOUNDED
    @given(case=operation.as_strategy())
    def run(case: Case) -> None:
        case.call_and_validate(
            headers={"X-Admin-Key": ADMIN_KEY},
            checks=[not_a_server_error, response_schema_conformance],
        )

    run()


def test_no_request_gives_a_server_error_or_an_answer_off_its_schema(
    build_app: Callable[..., FastAPI],
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", build_app())
    operations = [result.ok() for result in schema.get_all_operations()]
    failures: dict[str, str] = {}
    for operation in operations:
        try:
            fuzz(operation)
        except Exception as failure:  # every operation is fuzzed; all failures are reported together
            failures[operation.label] = str(failure)[:600]
    assert len(operations) > 40
    assert failures == {}
