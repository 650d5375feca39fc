"""What Luna says when the knowledge base does not answer a question: plainly so, what it covers
nearest to the question, and questions to ask instead (each checked by a search before it is offered,
by the answer service). Pure rules and texts from the prompt file."""

from __future__ import annotations

import re
from collections.abc import Sequence

from luna.domain.answers import GERMAN_STOPWORDS, LunaPrompts, NoContextTexts
from luna.domain.everyday_terms import EVERYDAY_SYNONYMS
from luna.domain.german_text import DOMAIN_SYNONYMS, plain_analyzer, surface_tokens
from luna.domain.legal_references import heading_without_number, section_heading, section_number, short_title

_WORD = re.compile(r"[\wÄÖÜäöüß§-]+")
#: The domain's terms of several words ("Smart Meter", "Energy Sharing"), longest first.
_TERMS_OF_WORDS = re.compile(
    "|".join(
        rf"\b{re.escape(term)}\b"
        for term in sorted(
            {member for group in (*DOMAIN_SYNONYMS, *EVERYDAY_SYNONYMS) for member in group if " " in member},
            key=len,
            reverse=True,
        )
    ),
    re.IGNORECASE,
)
_ASIDE = re.compile(r"\([^()]*\)")
#: A chunk found for a question: its document's title (None: untitled) and its section and text.
Passage = tuple[str | None, str]


def question_topic(question: str) -> str | None:
    """The most specific name in a question: its longest noun (German nouns are capitalised) or known
    term of several words ("Smart Meter": "Smart" alone names nothing), else its longest content word;
    ``None`` when it has none. Words in brackets are an aside: the statute's term Luna adds to an
    everyday word ("Balkonkraftwerk … (Steckersolargerät)") is not what the reader asked about."""
    question = _ASIDE.sub(" ", question)
    words = _WORD.findall(question)
    content = [w for w in words if w.casefold() not in GERMAN_STOPWORDS and len(w) >= 3 and not w.isdigit()]
    nouns = [w for index, w in enumerate(words) if index > 0 and w[:1].isupper() and w in content]
    terms = [match.group(0) for match in _TERMS_OF_WORDS.finditer(question)]
    candidates = nouns + terms or content
    return max(candidates, key=len) if candidates else None


def no_context_answer(
    prompts: LunaPrompts,
    question: str,
    titles: Sequence[str] = (),
    *,
    context_given: bool = False,
    elsewhere: tuple[str, str] | None = None,
    unknown_name: str | None = None,
    unknown_year: str | None = None,
    unknown_action: str | None = None,
    passages: Sequence[Passage] = (),
) -> str:
    """Luna's German reply when she cannot answer: plainly so, and what she has nearest to it.

    ``titles`` are documents of the knowledge base near the question (the best, if weak, retrieval
    hits); the first is named. ``context_given`` says that chunks were found but do not answer the
    question, which Luna says differently from finding nothing. Questions to ask instead are added by
    the answer service, which checks each by a search first (see :func:`follow_up_candidates`).
    ``elsewhere`` (the readers' country, the one asked about, as "in …" names them) says that the
    question is set in another country: then the country is what is missing, not the topic.
    ``unknown_name``: a firm, brand, place or law the question names and no document does
    ("Viessmann"), said right after the lead; ``unknown_year`` likewise: a year the question asks
    about and no passage found mentions; ``unknown_action``: a verb the question asks how to do
    ("entlüfte") that no passage found speaks of.
    ``passages`` are the (title, text) of the chunks found: when one names the topic ("Steckersolargerät"
    for a "Balkonkraftwerk"), its document is named as the one that speaks of it, not as having nothing.
    """
    texts = prompts.no_context
    topic = None if elsewhere else question_topic(question)
    named_in = passage_naming(topic, passages) if topic else None
    if named_in is not None:
        near, titles = texts.topic_found, [named_in]
    elif titles:
        near = texts.nearest_with_topic if topic else texts.nearest
    else:
        near = texts.nothing_near_with_topic if topic else texts.nothing_near
    lead = texts.not_answered if context_given else texts.answer
    if elsewhere:
        lead = f"{lead}\n\n{texts.elsewhere.format(home=elsewhere[0], country=elsewhere[1])}"
    elif unknown_name:
        lead = f"{lead}\n\n{texts.unknown_name.format(name=unknown_name)}"
    elif unknown_year:
        lead = f"{lead}\n\n{texts.unknown_year.format(year=unknown_year)}"
    elif unknown_action:
        lead = f"{lead}\n\n{texts.unknown_action.format(action=unknown_action)}"
    return f"{lead}\n\n{near.format(topic=topic, title=titles[0] if titles else '')}"


def passage_naming(topic: str, passages: Sequence[Passage]) -> str | None:
    """The title of the first passage that names ``topic`` in its title, section or text, whole or by
    its parts (None: none does, or the one that does has no title)."""
    analyzer = plain_analyzer()
    for title, text in passages:
        if title and (analyzer.names(topic, f"{title} {text}") or names_by_parts(topic, f"{title} {text}")):
            return title
    return None


#: Linking elements between a German compound's parts ("Heizung|s|förderung", "Wärmepumpe|n|tarif").
_LINKS = ("", "s", "es", "n", "en", "e", "er")
#: The shortest part a compound is cut into ("Netz|anschluss"): shorter cuts find chance words.
_MIN_PART = 4


def names_by_parts(word: str, text: str) -> bool:
    """Whether ``text`` names the compound ``word`` by its parts, each a word of its own: a page on
    "Förderung" whose steps say "Antrag … stellen" speaks of a "Förderantrag", and one on "Förderung
    für den Heizungstausch" that names the "Heizung" speaks of "Heizungsförderung". Saying that such a
    page holds nothing on the topic would be false. One part alone is not enough ("Kündigungsfrist" is
    not named by a "Frist"). Parts are matched by stem, not looked up as words: the compound splitter
    finds no word "Förder" to cut "Förderantrag" at."""
    analyzer = plain_analyzer()
    compound = surface_tokens(word)
    if len(compound) != 1:
        return False
    stem = analyzer.stem(compound[0]).casefold()
    text_words = surface_tokens(text)
    # Stems and the words themselves: Snowball cuts "Kündigung" to "kundig", not "Heizung".
    words = {analyzer.stem(token).casefold() for token in text_words} | set(text_words)
    for cut in range(_MIN_PART, len(stem) - _MIN_PART + 1):
        modifier, head = stem[:cut], stem[cut:]
        if head in words and any(
            modifier.endswith(link) and modifier[: len(modifier) - len(link)] in words for link in _LINKS
        ):
            return True
    return False


def follow_up_candidates(
    prompts: LunaPrompts, places: Sequence[tuple[str, str | None]]
) -> list[tuple[str, str]]:
    """Questions about the (title, section) places nearest to an unanswered question, with their title.

    A section's own heading makes the most concrete question ("Was steht in ‚Netzentgelte 2026‘ über
    ‚Steuerbare Verbrauchseinrichtungen nach § 14a EnWG‘?"), a law's section its number ("Was steht
    in § 8 EEG 2023 (Anschluss)?", which retrieval finds as the section named); a document without
    sections gets "Worum geht es in ‚…‘?". Each place is asked about once, in the order given.
    """
    questions: list[tuple[str, str]] = []
    for title, section in places:
        question = _follow_up_about(prompts.no_context, title, section_heading(section))
        if (question, title) not in questions:
            questions.append((question, title))
    return questions


def _follow_up_about(texts: NoContextTexts, title: str, heading: str) -> str:
    """A law's section by its number and the law's short name ("Was steht in § 8 EEG 2023
    (Anschluss)?"), any other section by its document and heading, a document without sections whole."""
    number, law = section_number(heading), short_title(title)
    if number is not None and law is not None:
        rest = heading_without_number(heading)
        question = texts.follow_up_about_law_section.format(number=number, law=law, heading=rest)
        return question.replace(" ()", "")
    if heading:
        return texts.follow_up_about_section.format(title=title, section=heading)
    return texts.follow_up_about_title.format(title=title)


def follow_up_paragraph(prompts: LunaPrompts, questions: Sequence[str]) -> str:
    """The offered questions as the answer's last paragraph (empty when there are none)."""
    if not questions:
        return ""
    return f"\n\n{prompts.no_context.follow_ups}\n{_follow_up_lines(questions)}"


def without_follow_up_paragraph(answer: str, questions: Sequence[str]) -> str:
    """``answer`` without the paragraph offering ``questions``, whichever prompt version worded it."""
    lines = _follow_up_lines(questions)
    end = answer.rfind(lines) if questions else -1
    if end < 0:
        return answer
    return answer[: max(answer.rfind("\n\n", 0, end), 0)] + answer[end + len(lines) :]


def _follow_up_lines(questions: Sequence[str]) -> str:
    return "\n".join(f"- „{question}“" for question in questions)
