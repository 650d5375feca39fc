"""The checks an edited prompt file passes before it is kept, the diff between versions, and the offered
follow-up questions taken off an answer whichever version worded them."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from luna.domain.answers import load_luna_prompts
from luna.domain.prompt_versions import (
    MAX_PROMPT_CHARS,
    InvalidPrompts,
    ProblemKind,
    check_prompts,
    packaged_prompt_text,
    prompt_diff,
)
from luna.domain.refusals import follow_up_paragraph, without_follow_up_paragraph
from luna.web.admin.pages_admin_prompts import problem_text

PACKAGED = packaged_prompt_text()


def problems(text: str) -> list[tuple[int, str | None, ProblemKind]]:
    with pytest.raises(InvalidPrompts) as raised:
        check_prompts(text)
    assert raised.value.details["problems"] == [
        {"line": p.line, "key": p.key, "kind": p.kind, "detail": p.detail} for p in raised.value.problems
    ]
    return [(p.line, p.key, p.kind) for p in raised.value.problems]


def line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def test_the_packaged_file_passes_and_gives_the_packaged_prompts() -> None:
    assert check_prompts(PACKAGED) == load_luna_prompts()


def test_a_version_stored_before_a_text_was_added_gets_the_shipped_text_for_it() -> None:
    older = re.sub(r"\n  elsewhere: >-\n(?:    .*\n)+", "\n", PACKAGED)
    assert "elsewhere" not in older and "nothing_near:" in older

    assert check_prompts(older).no_context.elsewhere == load_luna_prompts().no_context.elsewhere


def test_a_version_stored_before_small_talk_was_worded_gets_the_shipped_replies() -> None:
    older = PACKAGED[: PACKAGED.index("\n# Replies to a message that is only a greeting")] + "\n"
    assert "small_talk" not in older

    assert check_prompts(older).small_talk == load_luna_prompts().small_talk


def test_a_text_added_later_is_checked_like_any_other_when_given() -> None:
    text = PACKAGED.replace("was in {country} gilt", "was dort gilt")

    assert problems(text) == [
        (line_of(text, "  elsewhere:"), "no_context.elsewhere", ProblemKind.MISSING_PLACEHOLDER)
    ]


def test_a_changed_wording_passes_and_is_what_the_prompts_hold() -> None:
    text = PACKAGED.replace(
        'follow_ups: "Dazu kann ich Ihnen etwas sagen:"', 'follow_ups: "Fragen Sie gern:"'
    )

    assert check_prompts(text).no_context.follow_ups == "Fragen Sie gern:"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", ProblemKind.NOT_A_MAPPING),
        ("- a\n- b\n", ProblemKind.NOT_A_MAPPING),
        ("a: [1\n", ProblemKind.YAML),
    ],
)
def test_text_that_is_no_mapping_of_keys_is_refused_at_its_line(text: str, kind: ProblemKind) -> None:
    [(line, key, found)] = problems(text)

    assert (key, found) == (None, kind) and line >= 1


def test_a_missing_an_empty_and_a_repeated_text_are_each_named_by_line_and_key() -> None:
    text = (
        PACKAGED.replace("  question_label:", "  frage_label:")
        .replace('  key_points: "Im Einzelnen:"', '  key_points: "  "')
        .replace("persona: |", 'persona: "Luna"\npersona: |')
    )

    found = problems(text)

    assert found == [
        (line_of(text, "persona: |"), "persona", ProblemKind.DUPLICATE_KEY),
        (line_of(text, "  system:"), "rag.question_label", ProblemKind.MISSING),
        (line_of(text, "  key_points:"), "extractive.key_points", ProblemKind.NOT_TEXT),
    ]


def test_a_section_that_is_no_mapping_is_named_once() -> None:
    text = PACKAGED.replace("extractive:\n", "extractive: nichts\nunused:\n")

    assert problems(text) == [(line_of(text, "extractive:"), "extractive", ProblemKind.NOT_A_MAPPING)]


def test_placeholders_must_stay_and_no_unknown_one_may_come() -> None:
    text = PACKAGED.replace('"Handlungsempfehlung: {sentence}"', '"Handlungsempfehlung: {satz}"').replace(
        "„{title}“.", "„{titel}“.", 1
    )

    found = problems(text)

    line = line_of(text, "  recommendation_from_source:")
    assert found == [
        (
            line_of(text, "  nearest_with_topic:"),
            "no_context.nearest_with_topic",
            ProblemKind.UNKNOWN_PLACEHOLDER,
        ),
        (line, "extractive.recommendation_from_source", ProblemKind.MISSING_PLACEHOLDER),
        (line, "extractive.recommendation_from_source", ProblemKind.UNKNOWN_PLACEHOLDER),
    ]


@pytest.mark.parametrize("broken", ["„{title“", "„{title}}“", "„{title!z}“", "„{title:%%}“", "„{}“"])
def test_broken_braces_in_a_text_luna_fills_in_are_refused(broken: str) -> None:
    text = PACKAGED.replace('source_with_title: "„{title}“"', f'source_with_title: "{broken}"')

    [(_, key, kind)] = problems(text)

    assert key == "extractive.source_with_title"
    assert kind in (ProblemKind.BRACES, ProblemKind.UNKNOWN_PLACEHOLDER, ProblemKind.PLACEHOLDER_FORMAT)


@pytest.mark.parametrize("spec", ["{title:>3000000}", "{title:>99999999999}", "{title!r}", "{title:{title}}"])
def test_a_placeholder_with_a_width_or_conversion_is_refused_before_any_answer_is_padded(spec: str) -> None:
    """ "{title:>3000000}" was kept, and every answer then padded a title to megabytes and froze the
    server; a wider width failed the save with a MemoryError (500)."""
    text = PACKAGED.replace('source_with_title: "„{title}“"', f'source_with_title: "„{spec}“"')

    with pytest.raises(InvalidPrompts) as raised:
        check_prompts(text)

    [problem] = raised.value.problems
    assert (problem.key, problem.kind) == ("extractive.source_with_title", ProblemKind.PLACEHOLDER_FORMAT)
    assert problem_text(problem).endswith("Platzhalter ohne Formatangabe schreiben: {title}.")


def test_braces_in_a_text_luna_does_not_fill_in_are_plain_text() -> None:
    text = PACKAGED.replace('context_heading: "Kontext:"', 'context_heading: "Kontext {ohne Platzhalter}:"')

    assert check_prompts(text).context_heading == "Kontext {ohne Platzhalter}:"


#: "Billion laughs": nine levels of nine aliases each stand for 9**9 strings.
LAUGHS = 'l0: &l0 "lol"\n' + "".join(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]\n" for n in range(1, 10))


@pytest.mark.parametrize(
    ("change", "line_start", "detail"),
    [
        (lambda text: text + LAUGHS, "l0:", "found &l0: anchors (&name) and aliases (*name) are not allowed"),
        (
            lambda text: text.replace('context_heading: "Kontext:"', "context_heading: *kontext"),
            "  context_heading:",
            "found *kontext: anchors (&name) and aliases (*name) are not allowed",
        ),
        (
            lambda text: text + "tief: " + "[" * 5000 + "]" * 5000 + "\n",
            "tief:",
            "nested deeper than 32 levels",
        ),
    ],
)
def test_aliases_and_deep_nesting_are_refused_at_their_line_before_any_check_walks_the_text(
    change: Callable[[str], str], line_start: str, detail: str
) -> None:
    text = change(PACKAGED)

    assert problems(text) == [(line_of(text, line_start), None, ProblemKind.YAML)]
    with pytest.raises(InvalidPrompts) as raised:
        check_prompts(text)
    assert raised.value.problems[0].detail == detail


def test_a_text_too_long_is_refused_before_it_is_read() -> None:
    assert problems(PACKAGED + "#" * MAX_PROMPT_CHARS) == [(1, None, ProblemKind.TOO_LONG)]


def test_every_problem_reads_in_german_with_its_line_and_key() -> None:
    text = PACKAGED.replace("{sentence}", "{satz}", 1).replace("  nearest:", "  naechstes:")
    with pytest.raises(InvalidPrompts) as raised:
        check_prompts(text)

    german = [problem_text(p) for p in raised.value.problems]

    assert f"Zeile {line_of(text, '  answer:')}, „no_context.nearest“: Dieser Text fehlt." in german
    assert any(
        g.endswith("„extractive.summary“: Unbekannte Platzhalter: {satz}. Erlaubt sind hier: {sentence}.")
        for g in german
    )
    assert any("Der Platzhalter {sentence} muss erhalten bleiben." in g for g in german)


def test_the_diff_is_unified_and_empty_for_the_same_text() -> None:
    after = PACKAGED.replace("Kontext:", "Quellen:")

    diff = prompt_diff(PACKAGED, after, "v0", "v1")

    assert diff.startswith("--- v0\n+++ v1\n@@ ")
    assert '-  context_heading: "Kontext:"\n+  context_heading: "Quellen:"\n' in diff
    assert prompt_diff(PACKAGED, PACKAGED, "v0", "v0") == ""


def test_the_offered_questions_come_off_an_answer_whatever_their_lead_says() -> None:
    questions = ["Worum geht es in ‚Netzentgelte‘?"]
    paragraph = follow_up_paragraph(load_luna_prompts(), questions).replace("Dazu kann", "Darüber kann")
    answer = f"Dazu steht nichts darin.{paragraph}\n\nHandlungsempfehlung: Zähler prüfen."

    assert without_follow_up_paragraph(answer, questions) == (
        "Dazu steht nichts darin.\n\nHandlungsempfehlung: Zähler prüfen."
    )
    assert without_follow_up_paragraph(answer, []) == answer
    assert without_follow_up_paragraph("Nur eine Antwort.", questions) == "Nur eine Antwort."
