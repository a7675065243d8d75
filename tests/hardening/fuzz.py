"""Schemathesis against the app's own OpenAPI: every operation, valid and invalid requests, authenticated."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass
class FuzzResult:
    cases: int = 0
    operations: int = 0
    failures: list[str] = field(default_factory=list)
    by_operation: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def fuzz_api(
    app: Any, token: str, examples: int = 25, account: str | None = None, only: tuple[str, ...] = ()
) -> FuzzResult:
    """Up to ``examples`` valid and ``examples`` invalid requests per operation; a failure is a 5xx, an undocumented
    status code or content type, or a body that does not match the documented schema. With ``account`` (one the
    token's user can see), the operations on an account run once more on it, so the analysis and brief code is
    fuzzed through its query parameters, not only reached by 404s. ``only``: the operations whose path holds one of
    these (e.g. a manager's operations, fuzzed once more with a manager's token)."""
    started = time.perf_counter()
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    result = FuzzResult()
    headers = {"Authorization": f"Bearer {token}"}
    for loaded in schema.get_all_operations():
        operation = loaded.ok()
        if only and not any(part in operation.path for part in only):
            continue
        result.operations += 1
        runs: list[tuple[GenerationMode, dict[str, Any] | None]] = [
            (GenerationMode.POSITIVE, None),
            (GenerationMode.NEGATIVE, None),
        ]
        if account and "{account}" in operation.path:
            runs.append((GenerationMode.POSITIVE, {"account": account}))
        for mode, path_parameters in runs:
            ran = [0]

            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            @hypothesis_settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def one(case: Any) -> None:
                ran[0] += 1  # noqa: B023 - one() runs inside this iteration
                response = case.call(headers=headers)
                try:
                    case.validate_response(response, checks=CHECKS)
                except BaseException as exc:  # schemathesis raises a FailureGroup (a BaseExceptionGroup)
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    first = str(exc).strip().splitlines()
                    result.failures.append(
                        f"{operation.label} [{mode.value}] -> {response.status_code}: "  # noqa: B023
                        f"{' '.join(first[:6])[:400]}"
                    )

            try:
                one()
            except BaseException as exc:  # an exception raised by the app itself, outside a response
                if isinstance(exc, KeyboardInterrupt):
                    raise
                result.failures.append(f"{operation.label} [{mode.value}] crashed: {str(exc)[:400]}")
            result.cases += ran[0]
            result.by_operation[operation.label] = result.by_operation.get(operation.label, 0) + ran[0]
    result.seconds = time.perf_counter() - started
    return result
