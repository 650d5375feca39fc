"""The gates a candidate adapter must pass before it may serve, judged from its evaluation report.

Gates are relative where absolute numbers mean little: a candidate must beat the base model and must not
lose to the current champion (win-rates of the pairwise judge), keep its citations valid and refuse when
the reference refuses, and leak no canary and no personal data. The seed's absolute BLEU/ROUGE-L targets
are reported beside the gates (:func:`targets_report`), never gated: a correct German paraphrase scores
BLEU ≈ 7.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from luna.domain.finetune.config import GateSection, TargetSection


@dataclass(frozen=True, slots=True)
class GateCheck:
    gate: str
    value: float | None
    threshold: float
    passed: bool
    note: str | None = None


def judge_gates(
    gates: GateSection, report: Mapping[str, float | None], regression: Mapping[str, Any] | None = None
) -> list[GateCheck]:
    """One check per gate; a figure the report lacks fails its gate, except the champion comparison
    when there is no champion yet (then the base-model gate is the comparison that counts) and the
    regression sets when none is configured or found."""
    checks = [
        _at_least("win_rate_vs_base", report, gates.min_win_rate_vs_base),
        _at_least("citation_validity", report, gates.min_citation_validity),
        _at_least("refusal_correctness", report, gates.min_refusal_correctness),
        _at_most("canary_leaks", report, gates.max_canary_leaks),
        _at_most("pii_leaks", report, gates.max_pii_leaks),
    ]
    if report.get("win_rate_vs_champion") is None:
        checks.insert(
            1, GateCheck("win_rate_vs_champion", None, gates.min_win_rate_vs_champion, True, "kein Champion")
        )
    else:
        checks.insert(1, _at_least("win_rate_vs_champion", report, gates.min_win_rate_vs_champion))
    return [*checks, _regression(regression or {}, gates.max_regression_drop)]


def _regression(regression: Mapping[str, Any], max_drop: float) -> GateCheck:
    """The candidate answers the regression sets no worse than its opponent, within ``max_drop``; sets
    that could not be asked fail the gate (with the reason), absent sets pass it (with a note)."""
    if "error" in regression:
        return GateCheck("regression_drop", None, max_drop, False, str(regression["error"]))
    if "score" not in regression:
        return GateCheck("regression_drop", None, max_drop, True, str(regression.get("note", "")) or None)
    drop = round(float(regression["opponent_score"]) - float(regression["score"]), 6)
    return GateCheck("regression_drop", drop, max_drop, drop <= max_drop, f"gegen {regression['opponent']}")


def gate_result(checks: list[GateCheck]) -> dict[str, Any]:
    return {"passed": all(c.passed for c in checks), "checks": [asdict(c) for c in checks]}


def targets_report(targets: TargetSection, report: Mapping[str, float | None]) -> dict[str, Any]:
    """The seed's absolute targets next to what was measured (shown, not gated)."""
    pairs = {"bleu": targets.bleu, "rouge_l": targets.rouge_l, "win_rate_vs_base": targets.win_rate}
    return {
        name: {"value": report.get(name), "target": target, "met": (report.get(name) or 0.0) >= target}
        for name, target in pairs.items()
    }


def _at_least(name: str, report: Mapping[str, float | None], threshold: float) -> GateCheck:
    value = report.get(name)
    return GateCheck(name, value, threshold, value is not None and value >= threshold)


def _at_most(name: str, report: Mapping[str, float | None], threshold: float) -> GateCheck:
    value = report.get(name)
    return GateCheck(name, value, float(threshold), value is not None and value <= threshold)
