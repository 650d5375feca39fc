"""The components' health details in German, as the admin overview shows them.

Adapters describe their state in English for logs and the API (``"loaded"``, ``"12 documents in
memory"``, ``"schema not created yet: run `luna db upgrade`"``). The operator reads German, so the
details that adapters write are translated here, where they are shown; the raw text stays available
beside it (the overview puts it in a tooltip), and whatever is not known here (an exception's
``Type: message``, an address, a path) is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from luna.domain.media_types import READ_FORMATS
from luna.web.components.formats import de_count, de_number

_Translate = Callable[[re.Match[str]], str]

#: Whole details that are always the same text.
_FIXED: Final[dict[str, str]] = {
    "answers with cited sentences from the retrieved context": (
        "antwortet mit belegten Sätzen aus den gefundenen Textstellen"
    ),
    "loaded": "geladen",
    "not loaded yet": "noch nicht geladen (lädt bei der ersten Anfrage)",
    READ_FORMATS: (
        "PDF, DOCX, HTML, Gesetze als XML, Markdown, Text, CSV/TSV, JSON; keine Texterkennung (OCR)"
    ),
    "local mode (in-process)": "lokaler Modus (im Serverprozess)",
    "no indexed chunks yet": "noch keine indexierten Textabschnitte",
    "no stored vectors to compare yet": "noch keine gespeicherten Vektoren zum Vergleichen",
    "every chunk has its vector": "jeder Textabschnitt hat seinen Vektor",
}

#: The remedy the "index" component names, as the operator finds it in the dashboard.
_REINDEX_DE: Final = (
    "Korpus neu indexieren (Jobs › „Gesamten Korpus neu indexieren“ oder `luna admin reindex`)"
)


def _seconds(text: str) -> str:
    value = float(text)
    return de_number(value, 0 if value.is_integer() else 1)


#: Details with a variable part: each pattern must match the whole detail.
_PATTERNS: Final[tuple[tuple[re.Pattern[str], _Translate], ...]] = (
    (
        re.compile(r"(\d+) documents? in memory"),
        lambda m: f"{de_count(int(m[1]), 'Dokument', 'Dokumente')} im Arbeitsspeicher",
    ),
    (
        re.compile(r"schema not created yet: run `luna db upgrade`"),
        lambda m: "Datenbankschema noch nicht angelegt: `luna db upgrade` ausführen",
    ),
    (
        re.compile(r"(\S+) \(newest is (\S+): run `luna db upgrade`\)"),
        lambda m: f"Schema-Stand {m[1]}, neuester ist {m[2]}: `luna db upgrade` ausführen",
    ),
    (
        re.compile(r"EmbeddingGemma is not prepared: run `(.+)`; searches use e5-small and BM25 alone"),
        lambda m: (
            f"EmbeddingGemma ist nicht vorbereitet: einmal `{m[1]}` ausführen; bis dahin sucht Luna mit "
            "e5-small und BM25"
        ),
    ),
    (
        re.compile(r"EmbeddingGemma is not prepared: run `(.+)`"),
        lambda m: f"EmbeddingGemma ist nicht vorbereitet: einmal `{m[1]}` ausführen",
    ),
    (
        re.compile(
            r"(\d+) chunks still lack a vector: a search that finds one of them ranks without this leg"
        ),
        lambda m: (
            f"{de_count(int(m[1]), 'Textabschnitt hat', 'Textabschnitte haben')} noch keinen Vektor; "
            "solche Treffer ordnet die Suche ohne die Verfeinerung"
        ),
    ),
    (re.compile(r"missing: (.+)"), lambda m: f"fehlt: {m[1]}"),
    (re.compile(r"cannot be opened: (.+)", re.DOTALL), lambda m: f"lässt sich nicht öffnen: {m[1]}"),
    (re.compile(r"health check failed: (.+)", re.DOTALL), lambda m: f"Prüfung fehlgeschlagen: {m[1]}"),
    (
        re.compile(r"no answer within (\d+(?:\.\d+)?) s"),
        lambda m: f"keine Antwort innerhalb von {_seconds(m[1])} s",
    ),
    (
        re.compile(r"(.+) reachable; the subscriber runs in a worker, not in this process"),
        lambda m: f"{m[1]} erreichbar; die Zählerdaten empfängt ein Worker, nicht dieser Prozess",
    ),
    (re.compile(r"(.+), topic (\S+): (.+)", re.DOTALL), lambda m: f"{m[1]}, Topic {m[2]}: {m[3]}"),
    (re.compile(r"(.+), topic (\S+)"), lambda m: f"{m[1]}, Topic {m[2]}"),
    (
        re.compile(r"(.+) bucket (\S+) \(created on first write\)"),
        lambda m: f"{m[1]}, Bucket {m[2]} (wird beim ersten Speichern angelegt)",
    ),
    (re.compile(r"(.+) bucket (\S+)"), lambda m: f"{m[1]}, Bucket {m[2]}"),
    (
        re.compile(r"model '(.+)' is not pulled on (\S+): run `ollama pull .+`"),
        lambda m: f"Modell „{m[1]}“ ist auf {m[2]} nicht vorhanden: `ollama pull {m[1]}` ausführen",
    ),
    (
        re.compile(r"(\S+) matches (.+) \((\d+) sampled chunks?\)"),
        lambda m: f"{m[1]} passt zu {m[2]} ({de_count(int(m[3]), 'Stichprobe', 'Stichproben')})",
    ),
    (
        re.compile(
            r"the vector collection (\S+) was built by another embedding model or with other prompts "
            r"than (.+) \(cosine (-?[\d.]+|nan) on (\d+) sampled chunks?, expected ≥ ([\d.]+)\): "
            r"run a full reindex .*"
        ),
        lambda m: (
            f"Die Vektoren in {m[1]} stammen von einem anderen Suchmodell oder anderen Prompts als {m[2]} "
            f"(Kosinus {de_number(float(m[3]), 2)} bei {de_count(int(m[4]), 'Stichprobe', 'Stichproben')}, "
            f"erwartet ≥ {de_number(float(m[5]), 2)}): {_REINDEX_DE}"
        ),
    ),
    (
        re.compile(
            r"The vector collection (\S+) holds (\d+)-dimensional vectors but the embedding model gives "
            r"(\d+): run a full reindex .*"
        ),
        lambda m: (
            f"{m[1]} enthält {m[2]}-dimensionale Vektoren, das Suchmodell liefert {m[3]}: {_REINDEX_DE}"
        ),
    ),
    (
        re.compile(r"(\S+) serves (.*), not '(.+)': fix the model setting"),
        lambda m: f"{m[1]} bietet {m[2]} an, nicht „{m[3]}“: bitte die Modell-Einstellung korrigieren",
    ),
)


#: The database reports its schema revision alone when it is the newest (``0014``).
_REVISION: Final = re.compile(r"\w+")


def german_detail(detail: str, component: str | None = None) -> str:
    """``detail`` of ``component`` as the operator reads it: translated when it is a known adapter
    text, else unchanged."""
    text = detail.strip()
    if component == "database" and _REVISION.fullmatch(text):
        return f"Schema-Stand {text} (aktuell)"
    if text in _FIXED:
        return _FIXED[text]
    for known, german in _FIXED.items():  # "local mode (in-process): <why it failed>"
        if text.startswith(f"{known}: "):
            return german + text[len(known) :]
    for pattern, translate in _PATTERNS:
        if matched := pattern.fullmatch(text):
            return translate(matched)
    return detail
