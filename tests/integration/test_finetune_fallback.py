"""When a watched KPI turns critical while a fine-tuned adapter serves, the adapter is rolled back
(issue #17: "falls back … when a monitored KPI falls under its threshold")."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from luna.container import Container, build_container
from luna.domain.finetune.registry import AdapterState, AdapterVersion
from luna.domain.flywheel.alerts import AlertChange
from luna.domain.flywheel.thresholds import Severity
from luna.services.finetune.fallback import KpiFallback
from luna.settings import Settings

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    c = build_container(make_settings(LUNA_FINETUNE__TRACKING="false"))
    c.database.upgrade()
    with c.database.unit_of_work() as uow:
        for version in (1, 2):
            uow.finetune_adapters.add(
                AdapterVersion(
                    "luna-answers",
                    version,
                    AdapterState.CANDIDATE,
                    T0,
                    "smollm2",
                    "qa@v1",
                    f"run-{version}",
                    f"models/finetune/luna-answers/v{version}",
                    {},
                    {"passed": True},
                )
            )
        uow.commit()
    c.finetune.registry.promote("luna-answers", 1, "test")
    c.finetune.registry.promote("luna-answers", 2, "test")
    yield c
    c.close()


def _change(threshold: str, before: Severity | None, after: Severity | None, at: datetime) -> AlertChange:
    return AlertChange(
        threshold, "global", before, after, 0.3, 40, at, "Antworten werden seltener als hilfreich bewertet"
    )


def test_a_watched_threshold_turning_critical_rolls_the_served_adapter_back(container: Container) -> None:
    fallback = KpiFallback(container.finetune.registry, "luna-answers", ["usefulness_low"])
    later = datetime.now(UTC) + timedelta(minutes=1)

    done = fallback([_change("usefulness_low", Severity.WARNING, Severity.CRITICAL, later)])

    assert done is not None and "luna-answers@v2 zurückgerollt" in done and "luna-answers@v1" in done
    assert container.finetune.registry.get("luna-answers", 2).state is AdapterState.ROLLED_BACK
    with container.database.unit_of_work(read_only=True) as uow:
        (entry,) = uow.audit.list(action="finetune.rollback")
    assert entry.actor == "flywheel" and "usefulness_low" in entry.details["reason"]


@pytest.mark.parametrize(
    ("threshold", "before", "after", "shift"),
    [
        ("latency_p95_high", Severity.WARNING, Severity.CRITICAL, 1),  # not a watched threshold
        ("usefulness_low", Severity.CRITICAL, Severity.CRITICAL, 1),  # still critical: acted on before
        ("usefulness_low", None, Severity.WARNING, 1),  # only a warning
        ("usefulness_low", Severity.WARNING, Severity.CRITICAL, -60),  # before the champion was promoted
    ],
)
def test_other_alert_changes_leave_the_champion_serving(
    container: Container, threshold: str, before: Severity | None, after: Severity, shift: int
) -> None:
    fallback = KpiFallback(container.finetune.registry, "luna-answers", ["usefulness_low"])
    at = datetime.now(UTC) + timedelta(minutes=shift)

    assert fallback([_change(threshold, before, after, at)]) is None
    champion = container.finetune.registry.champion("luna-answers")
    assert champion is not None and champion.version == 2
