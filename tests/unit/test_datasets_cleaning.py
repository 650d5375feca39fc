"""The cleaning engine's rules on small frames: formats read, pipeline files refused by line, duplicates,
outliers and personal data found, quality and gates as documented."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from luna.domain.config_file import ConfigFileError, load_config_file
from luna.domain.datasets.pipeline import FileSource, Gates, Pipeline
from luna.domain.datasets.quality import (
    GateFailure,
    QualityCounts,
    QualityReport,
    assess,
    gate_failures,
    read_gate_failure,
)
from luna.services.datasets.cleaning import clean
from luna.services.datasets.dedup import fuzzy_duplicates, strict_duplicates
from luna.services.datasets.normalise import to_canonical
from luna.services.datasets.outliers import outlier_rows

GOOD = """\
name: p
record: meter_reading
sources:
  - kind: file
    name: a
    path: x.csv
steps:
  - step: outliers
    method: iqr
    column: consumption_kw
"""


def _pipeline(text: str = GOOD) -> Pipeline:
    return load_config_file(text, "p.yaml", Pipeline)


def test_a_wrong_value_is_named_with_its_line_and_place() -> None:
    with pytest.raises(ConfigFileError) as refused:
        _pipeline(GOOD.replace("method: iqr", "method: median"))
    assert str(refused.value).startswith("p.yaml, line 9 (steps[0].method): Input should be 'zscore'")


def test_an_unknown_time_zone_is_refused_when_the_file_loads() -> None:
    """It failed the run with Polars' advice to set POLARS_IGNORE_TIMEZONE_PARSE_ERROR."""
    with pytest.raises(ConfigFileError) as refused:
        _pipeline(GOOD.replace("    path: x.csv\n", "    path: x.csv\n    timezone: Mars/Olympus\n"))
    assert "line 7 (sources[0].timezone)" in str(refused.value)
    assert "unknown time zone 'Mars/Olympus'" in str(refused.value)
    assert _pipeline(GOOD.replace("    path: x.csv\n", "    path: x.csv\n    timezone: UTC\n"))


def test_duplicate_keys_and_malformed_yaml_are_refused_by_line() -> None:
    with pytest.raises(ConfigFileError, match=r"line 3 \(record\): duplicate key \(first on line 2\)"):
        _pipeline(GOOD.replace("record: meter_reading\n", "record: meter_reading\nrecord: price\n"))
    with pytest.raises(ConfigFileError, match=r"p.yaml, line \d+: malformed YAML"):
        _pipeline("name: [p\n")


def test_rules_across_fields_are_refused() -> None:
    with pytest.raises(ConfigFileError, match="not a number column of meter_reading"):
        _pipeline(GOOD.replace("column: consumption_kw", "column: meter_id"))
    with pytest.raises(ConfigFileError, match="compares texts; meter_reading has none"):
        _pipeline(GOOD + "  - step: dedup\n    mode: fuzzy\n")


def test_german_and_english_numbers_units_and_local_times_become_canonical() -> None:
    raw = pl.DataFrame(
        {
            "Zähler": [" m1 ", "m1", "m1", "m1"],
            "Zeit": ["31.03.2024 03:15", "2024-03-31T00:00:00Z", "2024-03-31 02:30", "gestern"],
            "Watt": ["1.234,5", "1,234.5", "0,5", "viel"],
        }
    )
    source = FileSource(
        kind="file",
        name="a",
        path="x.csv",
        columns={"meter_id": "Zähler", "ts": "Zeit", "consumption_kw": "Watt"},
        units={"consumption_kw": "W"},
    )
    frame = to_canonical(raw, "meter_reading", source, "a")
    assert frame["meter_id"].to_list() == ["m1"] * 4
    assert frame["consumption_kw"].to_list() == [1.2345, 1.2345, 0.0005, None]
    times = [t.isoformat() if t else None for t in frame["ts"].to_list()]
    # 03:15 summer time is 01:15 UTC; 02:30 on that night does not exist in Berlin; "gestern" is no time.
    assert times == ["2024-03-31T01:15:00+00:00", "2024-03-31T00:00:00+00:00", None, None]


def test_an_empty_source_stays_empty() -> None:
    assert to_canonical(pl.DataFrame(), "qa_pair", None, "leer").height == 0


def _qa(questions: list[str]) -> pl.DataFrame:
    return to_canonical(
        pl.DataFrame({"question": questions, "answer": ["Ja."] * len(questions)}), "qa_pair", None, "q"
    )


def test_strict_duplicates_ignore_case_and_punctuation_and_conflicts_are_told_apart() -> None:
    repeats, conflicts = strict_duplicates(
        _qa(["Was kostet Strom?", "was kostet strom", "Was kostet Gas?"]), "qa_pair"
    )
    assert (repeats.rows(), conflicts.height) == ([(1, 0)], 0)
    readings = pl.DataFrame(
        {"meter_id": ["m"] * 3, "ts": ["2024-01-01T00:00Z"] * 3, "consumption_kw": ["1", "1", "2"]}
    )
    repeats, conflicts = strict_duplicates(
        to_canonical(readings, "meter_reading", None, "r"), "meter_reading"
    )
    assert (repeats.rows(), conflicts.rows()) == ([(1, 0)], [(2, 0)])


def test_fuzzy_duplicates_find_a_changed_word_but_not_another_question() -> None:
    frame = _qa(
        [
            "Wie hoch ist die Einspeisevergütung für eine neue Photovoltaikanlage auf dem Dach im Jahr 2024?",
            "Wie hoch ist die Einspeisevergütung für eine neue Photovoltaikanlage auf dem Dach im Jahr 2025?",
            "Darf mein Netzbetreiber meine Wärmepumpe bei Netzengpässen drosseln?",
        ]
    )
    assert fuzzy_duplicates(frame, "qa_pair", 0.7).rows() == [(1, 0)]


@pytest.mark.parametrize("method", ["zscore", "iqr", "isolation_forest"])
def test_each_outlier_method_finds_a_spike_and_nulls_are_never_outliers(method: str) -> None:
    values = [str(1.0 + (n % 5) / 10) for n in range(60)] + ["80"]
    raw = pl.DataFrame(
        {
            "meter_id": ["m"] * 61,
            "ts": [f"2024-01-01T{n % 24:02d}:00Z" for n in range(61)],
            "consumption_kw": values,
        }
    )
    frame = to_canonical(raw, "meter_reading", None, "r")
    found = outlier_rows(
        frame, "consumption_kw", method, 0.02 if method == "isolation_forest" else None, None
    )  # type: ignore[arg-type]
    assert 60 in found.to_list() and len(found) <= 2


@pytest.mark.parametrize("method", ["zscore", "iqr", "isolation_forest"])
def test_by_judges_each_group_against_its_own_values(method: str) -> None:
    """A heat pump's 9 kW is normal for it and a spike for a flat; the forest ignored ``by``."""
    flat = [str(0.3 + (n % 5) / 100) for n in range(60)] + ["9.0"]
    pump = [str(8.8 + (n % 5) / 10) for n in range(61)]
    raw = pl.DataFrame(
        {
            "meter_id": ["flat"] * 61 + ["pump"] * 61,
            "ts": [f"2024-01-{1 + n // 24:02d}T{n % 24:02d}:00Z" for n in range(61)] * 2,
            "consumption_kw": flat + pump,
        }
    )
    frame = to_canonical(raw, "meter_reading", None, "r")
    threshold = 0.02 if method == "isolation_forest" else None

    found = outlier_rows(frame, "consumption_kw", method, threshold, "meter_id")  # type: ignore[arg-type]

    assert found.to_list()[:1] == [60]  # the flat's 9 kW, judged against the flat alone


def test_an_isolation_forest_threshold_is_a_share_of_at_most_a_half() -> None:
    step = {"step": "outliers", "column": "consumption_kw", "method": "isolation_forest", "threshold": 5}
    with pytest.raises(ValueError, match=r"at most 0\.5, got 5"):
        Pipeline.model_validate(
            {
                "name": "p",
                "record": "meter_reading",
                "sources": [{"kind": "file", "name": "a", "path": "x.csv"}],
                "steps": [step],
            }
        )


@pytest.mark.parametrize("method", ["zscore", "iqr", "isolation_forest"])
def test_outliers_come_most_extreme_first_so_the_examples_show_the_worst(method: str) -> None:
    """Seven spikes, the largest last in the file: a report's five examples start with it. (The forest
    ranks by its anomaly score, which also weighs the hour, so only its first place is the value's.)"""
    spikes = {70 + n: str(10 + n) for n in range(7)}
    values = [spikes.get(n, str(1.0 + (n % 5) / 10)) for n in range(77)]
    raw = pl.DataFrame(
        {
            "meter_id": ["m"] * 77,
            "ts": [f"2024-01-{1 + n // 24:02d}T{n % 24:02d}:00Z" for n in range(77)],
            "consumption_kw": values,
        }
    )
    frame = to_canonical(raw, "meter_reading", None, "r")
    threshold = 0.09 if method == "isolation_forest" else None
    found = outlier_rows(frame, "consumption_kw", method, threshold, None)  # type: ignore[arg-type]
    ranked = 3 if method != "isolation_forest" else 1
    assert found.to_list()[:ranked] == [76, 75, 74][:ranked]
    pipeline = Pipeline.model_validate(
        {
            "name": "p",
            "record": "meter_reading",
            "sources": [{"kind": "file", "name": "a", "path": "x.csv"}],
            "steps": [
                {"step": "outliers", "column": "consumption_kw", "method": method, "threshold": threshold}
            ],
        }
    )
    examples = next(
        step for step in clean(frame, pipeline).steps if step.step.startswith("outliers")
    ).examples
    assert [example["consumption_kw"] for example in examples][:ranked] == [16.0, 15.0, 14.0][:ranked]


def test_personal_data_is_redacted_and_flagged() -> None:
    pipeline = Pipeline.model_validate(
        {
            "name": "t",
            "record": "qa_pair",
            "sources": [{"kind": "luna", "name": "f", "table": "feedback"}],
            "steps": [{"step": "pii"}],
        }
    )
    cleaned = clean(_qa(["Schreiben Sie an erika.muster@example.de, bitte?", "Was kostet Strom?"]), pipeline)
    assert "@" not in "".join(cleaned.frame["question"].to_list())
    assert cleaned.frame["_flags"].to_list() == [["pii:redacted"], []]


def test_quality_score_confidence_and_gates_follow_the_documented_formula() -> None:
    counts = QualityCounts(
        input_records=100,
        output_records=80,
        required_cells=300,
        present_required_cells=270,
        invalid_records=10,
        duplicate_records=10,
        keys=90,
        conflicting_keys=9,
        doubtful_output_records=8,
    )
    report = assess(counts, Gates(), {"region": {"Nord": 1.0}}, {"region": {"Nord": 0.5, "Süd": 0.5}})
    assert (report.completeness, report.validity, report.uniqueness, report.consistency) == (
        0.9,
        0.9,
        0.9,
        0.9,
    )
    assert report.score == 90.0
    assert report.confidence == pytest.approx(0.9 * 80 / 90, abs=1e-4)
    assert report.drift == {"region": 0.5}
    assert gate_failures(report, Gates(confidence=0.85, max_drift=0.2)) == (
        "confidence: Konfidenz 80 % unter 85 %",
        "max_drift: Verteilung von region um 50 % verschoben, höchstens 20 %",
    )


def _report(**figures: Any) -> QualityReport:
    clean = {"completeness": 1.0, "validity": 1.0, "uniqueness": 1.0, "consistency": 1.0, "timeliness": 1.0}
    counts = {"score": 100.0, "confidence": 0.99, "input_records": 1, "output_records": 1}
    return QualityReport(**(clean | counts | {"newest_age_days": 0.0} | figures))


def test_a_failed_gate_reads_as_german_and_its_figure_never_as_the_bar_it_misses() -> None:
    """It said ``Konfidenz 90 % unter 90 %`` (0.896 rounded to the bar), ``1 Datensätze``, ``älter als
    1 Tage``, ``0.5 Tage`` and ``12345 Datensätze``."""
    near = _report(score=89.6, confidence=0.896, timeliness=0.0, drift={"region": 0.1004})
    gates = Gates(completeness=0.8, confidence=0.9, quality=0.9, min_records=5, max_age_days=1, max_drift=0.1)

    assert [read_gate_failure(f).message for f in gate_failures(near, gates)] == [
        "Konfidenz 89,6 % unter 90 %",
        "Qualität 89,6 % unter 90 %",
        "1 Datensatz, mindestens 5 nötig",
        "neuester Datensatz älter als 1 Tag",
        "Verteilung von region um 10,04 % verschoben, höchstens 10 %",
    ]
    assert gate_failures(_report(timeliness=0.0), Gates(max_age_days=0.5)) == (
        "max_age_days: neuester Datensatz älter als 0,5 Tage",
    )
    assert gate_failures(_report(output_records=12_345), Gates(min_records=20_000)) == (
        "min_records: 12.345 Datensätze, mindestens 20.000 nötig",
    )
    assert gate_failures(_report(confidence=0.8999), Gates(confidence=0.9)) == (
        "confidence: Konfidenz 89,99 % unter 90 %",
    )
    assert gate_failures(_report(confidence=0.8), Gates(confidence=0.855)) == (
        "confidence: Konfidenz 80 % unter 85,5 %",
    )


def test_a_stored_gate_failure_reads_as_its_key_and_german_text_with_a_space_before_percent() -> None:
    """Stored as ``key: text`` (rows made before stay as they are, without the space before ``%``); the
    dashboard, the API and the CLI all show it through this one reading."""
    assert read_gate_failure("confidence: Konfidenz 89,6 % unter 90 %") == GateFailure(
        "confidence", "Konfidenz 89,6 % unter 90 %"
    )
    assert read_gate_failure("confidence: Konfidenz 0% unter 30%") == GateFailure(
        "confidence", "Konfidenz 0 % unter 30 %"
    )
    assert read_gate_failure("min_records: 0 Datensätze, mindestens 5 nötig") == GateFailure(
        "min_records", "0 Datensätze, mindestens 5 nötig"
    )
    assert read_gate_failure("max_drift: Verteilung von region um 50% verschoben").message == (
        "Verteilung von region um 50 % verschoben"
    )
    assert read_gate_failure("min_records") == GateFailure(None, "min_records")


def test_a_schedule_is_due_once_per_slot_and_catches_up_after_downtime() -> None:
    from datetime import UTC, datetime

    from luna.domain.datasets.schedule import run_due

    at = datetime(2026, 11, 23, 2, 45, tzinfo=UTC)
    assert run_due("daily 02:30", at, None, active=False)
    assert not run_due("daily 02:30", at, datetime(2026, 11, 23, 2, 31, tzinfo=UTC), active=False)
    assert run_due("daily 02:30", at, datetime(2026, 11, 22, 2, 31, tzinfo=UTC), active=False)  # yesterday's
    assert not run_due(
        "daily 02:30", at.replace(hour=1), datetime(2026, 11, 22, 2, 31, tzinfo=UTC), active=False
    )
    assert run_due("daily 02:30", at.replace(day=25), datetime(2026, 11, 22, 2, 31, tzinfo=UTC), active=False)
    assert not run_due("daily 02:30", at, None, active=True)  # one is queued or running
    assert not run_due(None, at, None, active=False)
    assert run_due("hourly", at, datetime(2026, 11, 23, 1, 59, tzinfo=UTC), active=False)
    assert not run_due("hourly", at, datetime(2026, 11, 23, 2, 0, tzinfo=UTC), active=False)


def test_a_mostly_idle_meter_has_no_iqr_outliers_but_a_varied_one_does() -> None:
    idle = ["0"] * 50 + ["2,0", "2,2", "1,8"]  # a washing machine: off most hours, its runs are real
    varied = [str(1.0 + (n % 5) / 10) for n in range(52)] + ["80"]
    raw = pl.DataFrame(
        {
            "meter_id": ["idle"] * 53 + ["varied"] * 53,
            "ts": [f"2024-01-{1 + n // 24:02d}T{n % 24:02d}:00Z" for n in range(53)] * 2,
            "consumption_kw": idle + varied,
        }
    )
    frame = to_canonical(raw, "meter_reading", None, "r")
    found = outlier_rows(frame, "consumption_kw", "iqr", 3.0, "meter_id")
    assert frame.filter(pl.col("_row").is_in(found.implode()))["meter_id"].to_list() == ["varied"]


def test_duplicates_are_judged_on_question_and_answer_not_the_shared_context() -> None:
    context = "Der Super Bowl 50 war ein Spiel der National Football League im Levi's Stadium. " * 5
    frame = to_canonical(
        pl.DataFrame(
            {
                "question": [
                    "Wo fand das Spiel statt?",
                    "Wer gewann das Spiel?",
                    "WIE GROSS war das Stadion?",
                ],
                "answer": ["Im Levi's Stadium.", "Die Broncos.", "Sehr groß."],
                "context": [context] * 3,
            }
        ),
        "qa_pair",
        None,
        "q",
    )
    assert fuzzy_duplicates(frame, "qa_pair", 0.8).height == 0
    repeat = pl.concat(
        [frame, frame.tail(1).with_columns(pl.lit("Wie groß war das Stadion").alias("question"))]
    )
    assert strict_duplicates(repeat.with_columns(pl.int_range(pl.len()).alias("_row")), "qa_pair")[
        0
    ].rows() == [(3, 2)]


def test_an_excel_sheet_is_read_with_its_types_and_a_broken_workbook_is_refused() -> None:
    import io
    from datetime import datetime

    from luna.domain.errors import InvalidInput
    from luna.services.datasets.sources import parse_file

    sheet = pl.DataFrame({"Zähler": ["m1"], "Zeit": [datetime(2024, 3, 31, 3, 15)], "Leistung": ["1.234,5"]})
    buffer = io.BytesIO()
    sheet.write_excel(buffer, worksheet="Messwerte")
    raw = parse_file(buffer.getvalue(), "export.xlsx", "auto", "excel", sheet="Messwerte")
    source = FileSource(
        kind="file",
        name="excel",
        path="export.xlsx",
        columns={"meter_id": "Zähler", "ts": "Zeit", "consumption_kw": "Leistung"},
    )
    frame = to_canonical(raw, "meter_reading", source, "excel")
    assert frame.select("meter_id", "consumption_kw").row(0) == ("m1", 1234.5)
    assert frame["ts"][0].isoformat() == "2024-03-31T01:15:00+00:00"  # local summer time in Berlin
    with pytest.raises(InvalidInput, match=r"broken\.xlsx cannot be read as xlsx"):
        parse_file(b"PK\x03\x04 not really a workbook", "broken.xlsx", "auto", "excel")
