"""What the dashboards print: German numbers and times, and Luna's citation markers as numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from luna.domain.answers import without_citations
from luna.web.components.formats import de_datetime, de_eur, de_int, de_number, de_percent
from luna.web.components.navigation import ADMIN_VIEWS, CUSTOMER_VIEWS, Area, safe_next, view_for
from luna.web.customer.citation_marks import number_citations


def test_numbers_use_a_decimal_comma_and_dots_between_thousands() -> None:
    assert de_number(1234567.891, 2) == "1.234.567,89"
    assert de_int(12000) == "12.000"
    assert de_eur(-3.5) == "-3,50 €"
    assert de_percent(0.257) == "26 %"


def test_numbers_are_rounded_half_up_as_written_also_numpy_s() -> None:
    # The dashboards round like the API's and the CLI's German texts (luna.domain.german_numbers):
    # 2.675 as written, not as the float's binary value 2.67499…; a half up, not to the even neighbour.
    assert de_number(2.675, 2) == "2,68"
    assert de_percent(0.625) == "63 %"
    assert de_eur(np.float64(12.345)) == "12,35 €"  # NumPy's repr names its type: np.float64(12.345)
    assert de_number(np.float32(0.1), 1) == "0,1"
    assert de_percent(0.285) == "29 %"  # 0.285 * 100 is 28.499999… as floats


def test_figures_that_are_no_number_or_huge_or_minus_zero_still_read() -> None:
    assert de_number(float("nan"), 1) == de_number(float("inf")) == de_percent(float("-inf")) == "–"
    assert de_number(1e30, 2) == "1.000.000.000.000.000.000.000.000.000.000,00"
    assert de_number(-0.0001, 2) == "0,00" and de_number(-0.006, 2) == "-0,01"


def test_times_are_shown_on_the_berlin_clock_in_winter_and_summer() -> None:
    assert de_datetime(datetime(2026, 1, 15, 11, 30, tzinfo=UTC)) == "15.01.2026, 12:30"
    assert de_datetime(datetime(2026, 7, 15, 11, 30, tzinfo=UTC)) == "15.07.2026, 13:30"


def test_citations_are_numbered_by_first_appearance_and_repeat_their_number() -> None:
    numbered = number_citations("Erstens [chunk a1]. Zweitens [chunk b2]. Wieder [chunk a1].")

    assert numbered.text == "Erstens [1]. Zweitens [2]. Wieder [1]."
    assert numbered.chunk_ids == ("a1", "b2")


def test_markers_after_long_runs_of_spaces_are_numbered_and_stripped_at_once() -> None:
    text = "Erstens" + " " * 100_000 + "[chunk a] zweitens [chunk b]" + " " * 100_000

    assert without_citations(text) == "Erstens zweitens" + " " * 100_000
    assert number_citations(text).text.startswith("Erstens [1] zweitens [2]")


def test_a_marker_still_streaming_in_is_held_back_until_it_is_complete() -> None:
    assert number_citations("Das gilt [chu").text == "Das gilt "
    assert number_citations("Das gilt [chunk 12ab").text == "Das gilt "
    assert number_citations("Ein Array [0] bleibt.").text == "Ein Array [0] bleibt."


def test_help_texts_lose_their_markers() -> None:
    assert without_citations("Tarife wechseln stündlich [chunk x9].") == "Tarife wechseln stündlich."


def test_after_login_only_a_view_of_the_same_area_is_a_destination() -> None:
    assert safe_next("/energy", Area.CUSTOMER) == "/energy"
    assert safe_next("https://evil.example/", Area.CUSTOMER) == "/"
    assert safe_next("//evil.example", Area.ADMIN) == "/admin"
    assert safe_next("/admin/jobs", Area.CUSTOMER) == "/"
    assert safe_next("/energy?zaehler=m-1&zeitraum=30d", Area.CUSTOMER) == "/energy?zaehler=m-1&zeitraum=30d"
    assert safe_next("/ask?gespraech=<script>", Area.CUSTOMER) == "/ask?gespraech=%3Cscript%3E"
    assert safe_next("//evil.example?x=1", Area.CUSTOMER) == "/"
    assert safe_next(None, Area.ADMIN) == "/admin"


def test_every_view_has_a_unique_route_and_a_german_title() -> None:
    routes = [view.route for view in (*CUSTOMER_VIEWS, *ADMIN_VIEWS)]
    assert len(routes) == len(set(routes))
    assert view_for("/market").title == "Marktpreise"
