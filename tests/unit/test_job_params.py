"""Every registered job's params are checked by name and by type before the job is queued.

A hostile-input probe found ``{"name": "kb.verify", "params": {"fix": "rm -rf"}}`` queued and run in its
repair mode (a non-empty string is true), and ``{"paths": "/etc"}`` walked one character at a time. The
job service now validates each param against the job function's annotation, strictly; these tests hold
every job of the registry to it, so a new job cannot take a wrongly typed or unknown param silently.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from luna.domain.errors import InvalidInput
from luna.domain.jobs import JobFunction
from luna.services.operations.job_params import _validators, check_params
from luna.workers.registry import load_jobs

JOBS = load_jobs()
#: One value of each JSON type; every param refuses at least one of them.
SAMPLES: tuple[object, ...] = ("text", 7, 1.5, True, None, ["text"], [7], {"key": "value"})


def job_params(function: JobFunction) -> list[inspect.Parameter]:
    """The params a job takes from its submission (after ``container`` and ``ctx``)."""
    return list(inspect.signature(function).parameters.values())[2:]


def every_param() -> list[tuple[str, str]]:
    return [(name, p.name) for name, function in sorted(JOBS.items()) for p in job_params(function)]


def test_the_registry_has_the_jobs_the_probe_reached() -> None:
    assert {"kb.ingest_paths", "kb.verify", "kb.reindex", "finetune.run"} <= set(JOBS)
    assert len(every_param()) >= 20


@pytest.mark.parametrize("name", sorted(JOBS))
def test_every_param_of_every_job_has_a_type_the_service_checks(name: str) -> None:
    function = JOBS[name]

    checked = _validators(function)

    assert sorted(checked) == sorted(p.name for p in job_params(function)), (
        f"{name}: annotate every param precisely (not Any/object), so its type is checked at submission"
    )


@pytest.mark.parametrize(("name", "param"), every_param())
def test_no_param_takes_a_value_of_any_json_type(name: str, param: str) -> None:
    function = JOBS[name]
    refused: list[object] = []
    for sample in SAMPLES:
        try:
            check_params(name, function, {**required(function, but=param), param: sample})
        except InvalidInput as error:
            assert error.details["param"] == param
            refused.append(sample)

    assert refused, f"{name}.{param} takes a value of every JSON type"


@pytest.mark.parametrize("name", sorted(JOBS))
def test_an_unknown_param_is_refused_for_every_job(name: str) -> None:
    with pytest.raises(InvalidInput, match="unknown params: colour"):
        check_params(name, JOBS[name], {**required(JOBS[name]), "colour": "red"})


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("kb.verify", {"fix": "rm -rf"}, "fix must be true or false, not text"),
        ("kb.verify", {"fix": 1}, "fix must be true or false, not a number"),
        ("kb.ingest_paths", {"paths": "/etc"}, "paths must be a list of texts, not text"),
        ("kb.ingest_paths", {"paths": ["/a", 1]}, "paths must be a list of texts, not a list of"),
        ("kb.ingest_paths", {"paths": [1.5, 2]}, "paths must be a list of texts, not a list of numbers ("),
        ("kb.ingest_paths", {"paths": ["/a"], "tags": "x"}, "tags must be a list of texts or null"),
        ("kb.reindex", {"where": ["kind"]}, "where must be an object or null, not a list of texts"),
        ("finetune.run", {"resume": 5}, "resume must be text or null, not a number"),
        ("finetune.run", {"config": ["lora"]}, "config must be text or null"),
        ("sim.live", {"meters": True}, "meters must be a whole number or null, not a boolean"),
        (
            "sim.live",
            {"seed": 1.5},
            "seed must be a whole number or null, not a number written with a decimal",
        ),
        ("sim.live", {"meters": 1e2}, "meters must be a whole number or null, not a number written with a"),
        ("flywheel.vector_ingest", {"days": "8"}, "days must be a whole number, not text"),
        ("datasets.partition", {"run_id": "r", "part": "1", "source": 0}, "part must be a whole number"),
        ("eval.run", {"sets": "golden.yaml"}, "sets must be a list of texts, not text"),
    ],
)
def test_wrong_types_the_probe_sent_are_refused_without_echoing_the_value(
    name: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_params(name, JOBS[name], params)

    assert message in refused.value.message
    assert f"(job {name})" in refused.value.message
    assert "rm -rf" not in refused.value.message


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("kb.verify", {"fix": True}),
        ("kb.verify", {}),
        ("kb.ingest_paths", {"paths": ["/a"], "kind": "regulation", "tags": None}),
        ("kb.reindex", {"item_ids": None, "where": {"kind": "document"}}),
        ("finetune.run", {"config": None, "resume": None}),
        ("sim.backfill", {"start": "2025-01-01", "end": "2025-02-01", "meters": 10, "seed": None}),
        ("datasets.partition", {"run_id": "r", "part": 0, "source": 1, "only": None}),
    ],
)
def test_well_typed_params_pass(name: str, params: dict[str, Any]) -> None:
    check_params(name, JOBS[name], params)


def test_a_whole_number_is_a_number_and_a_boolean_is_not_a_whole_number() -> None:
    def job(container: object, ctx: object, *, share: float, count: int = 0) -> None:
        """A job with a float and an int param."""

    check_params("test.job", job, {"share": 3})
    with pytest.raises(InvalidInput, match="count must be a whole number, not a boolean"):
        check_params("test.job", job, {"share": 0.5, "count": False})


def required(function: JobFunction, but: str | None = None) -> dict[str, Any]:
    """Well-typed values for the params ``function`` cannot do without (except ``but``)."""
    values = {str: "x", int: 1, list[str]: ["x"]}
    hints = {param: hint for param, (hint, _) in _validators(function).items()}
    return {
        p.name: values[hints[p.name]] for p in job_params(function) if p.default is p.empty and p.name != but
    }
