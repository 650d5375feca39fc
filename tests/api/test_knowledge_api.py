"""``/ingest``, ``/rag`` and ``/admin/item(s)`` over HTTP on the embedded stack.

Every refused upload is checked twice: the 4xx envelope, and that nothing was stored (no item, no
chunk, no point, no blob).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from fastapi import FastAPI
from fpdf import FPDF

from luna.container import Container
from tests.api.conftest import ADMIN_KEY, http_client

pytestmark = pytest.mark.anyio

DEV_USER = {"X-Dev-User": "0b7e3f52-9a1c-4c2e-8d3f-6a5b4c3d2e1f"}
#: Adding to the shared knowledge base is an operator's act; customers search and ask.
OPERATOR = {"X-Admin-Key": ADMIN_KEY}

TARIFF = """# Dynamischer Stromtarif

Mit einem dynamischen Stromtarif zahlen Haushalte den Börsenpreis der jeweiligen Stunde.
Wer die Waschmaschine mittags startet, nutzt oft negative Strompreise aus.

## Voraussetzungen

Ein intelligentes Messsystem (Smart Meter) ist Voraussetzung für einen dynamischen Tarif.
"""

HEAT_PUMP = """# Wärmepumpe

Eine Wärmepumpe arbeitet effizient, wenn die Vorlauftemperatur unter 55 Grad bleibt.
Die Jahresarbeitszahl guter Anlagen liegt bei 3,5.
"""


def container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container


def nothing_stored(app: FastAPI) -> bool:
    container = container_of(app)
    with container.database.unit_of_work(read_only=True) as uow:
        empty_sql = uow.items.count() == 0 and uow.chunks.count(include_archived=True) == 0
    points = container.vectors.count(container.services.knowledge.collections.active())
    return empty_sql and points == 0 and container.blobs.list("docs/") == []


async def upload(
    client: httpx.AsyncClient,
    data: bytes,
    name: str = "tarif.md",
    headers: dict[str, str] | None = None,
    **form: Any,
) -> httpx.Response:
    return await client.post(
        "/api/v1/ingest/doc",
        files={"file": (name, data, "application/octet-stream")},
        data=form,
        headers=OPERATOR if headers is None else headers,
    )


def text_less_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60)
    return bytes(pdf.output())


async def test_an_uploaded_document_is_indexed_and_listed(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await upload(client, TARIFF.encode(), kind="note", tags=["tarif", "strom"])
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["chunks"] > 0 and data["sha256"] == hashlib.sha256(TARIFF.encode()).hexdigest()
    listed = (await client.get("/api/v1/admin/items", params={"tag": "tarif"}, headers=admin)).json()["data"]
    assert listed["total"] == 1
    assert (
        listed["items"][0] | {"status": "indexed", "kind": "note", "tags": ["tarif", "strom"]}
        == listed["items"][0]
    )
    assert (listed["items"][0]["added_by"], listed["items"][0]["added_via"]) == ("admin", "api")
    audit = (await client.get("/api/v1/admin/audit", params={"action": "item.add"}, headers=admin)).json()
    assert [(e["actor"], e["target"]) for e in audit["data"]["entries"]] == [
        ("admin", f"item:{data['item_id']}")
    ]
    beyond = await client.get(
        "/api/v1/admin/audit", params={"action": "item.add", "offset": 1}, headers=admin
    )
    assert beyond.json()["data"]["entries"] == []  # older entries page with offset (500 at most at once)


async def test_tags_come_from_repeated_bracketed_or_comma_separated_fields(client: httpx.AsyncClient) -> None:
    files = {"file": ("t.md", TARIFF.encode(), "text/markdown")}
    form = {"tags[]": ["a", "b,c"], "tags": ["d"]}
    response = await client.post("/api/v1/ingest/doc", files=files, data=form, headers=OPERATOR)
    assert response.status_code == 201
    item_id = response.json()["data"]["item_id"]
    item = await client.get(
        f"/api/v1/admin/item/{item_id}", headers={"X-Admin-Key": "test-admin-key-0123456789"}
    )
    assert sorted(item.json()["data"]["tags"]) == ["a", "b", "c", "d"]


async def test_the_same_file_twice_is_409_with_the_existing_item(client: httpx.AsyncClient) -> None:
    first = (await upload(client, TARIFF.encode())).json()["data"]
    second = await upload(client, TARIFF.encode(), name="kopie.md")
    assert second.status_code == 409
    assert second.json()["data"]["details"]["item_id"] == first["item_id"]


@pytest.mark.parametrize(
    ("data", "name", "form", "status", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "scan.pdf", {}, 415, "PNG image"),
        (TARIFF.encode(), "bild.png", {}, 415, "its name ends in .png, a binary format"),
        (b"", "leer.md", {}, 422, "empty"),
        (b"   \n\n ", "leer.txt", {}, 422, "empty"),
        (text_less_pdf(), "scan.pdf", {}, 422, "OCR"),
        (TARIFF.encode(), "t.md", {"kind": "poster"}, 400, "kind must be one of"),
        (TARIFF.encode(), "t.md", {"source": "fax"}, 400, "source must be one of"),
        (TARIFF.encode(), "t.md", {"tags": [f"t{i}" for i in range(25)]}, 400, "At most 20 tags"),
    ],
    ids=[
        "image-named-pdf",
        "text-named-png",
        "empty",
        "whitespace",
        "scanned-pdf",
        "bad-kind",
        "bad-source",
        "too-many-tags",
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient,
    app: FastAPI,
    data: bytes,
    name: str,
    form: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    response = await upload(client, data, name, **form)
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]
    assert nothing_stored(app)


CSV_TARIFF = b"Zeitraum;Arbeitspreis ct/kWh\nHT 06-22 Uhr;31,2\nNT 22-06 Uhr;24,8\n"
EXCEL_EXPORT = (
    b'<html xmlns:o="urn:schemas-microsoft-com:office:office"><body><table><tr><td>Zeitraum</td>'
    b"<td>Arbeitspreis ct/kWh</td></tr><tr><td>HT 06-22 Uhr</td><td>31,2</td></tr></table></body></html>"
)


@pytest.mark.parametrize(
    ("data", "name", "declared", "status"),
    [
        (CSV_TARIFF, "tarif.csv", "application/vnd.ms-excel", 201),  # Windows with Excel, every .csv
        (CSV_TARIFF, "tarif.csv", "text/csv", 201),
        (EXCEL_EXPORT, "tarif.xls", "application/vnd.ms-excel", 201),  # a portal's "Excel export"
        (CSV_TARIFF, "tarif.xls", "application/vnd.ms-excel", 415),  # text that stands in for a workbook
    ],
    ids=["csv-declared-xls", "csv", "html-export-xls", "csv-named-xls"],
)
async def test_text_under_an_excel_type_is_read_when_its_name_or_markup_says_text(
    client: httpx.AsyncClient, app: FastAPI, data: bytes, name: str, declared: str, status: int
) -> None:
    files = {"file": (name, data, declared)}
    response = await client.post("/api/v1/ingest/doc", files=files, headers=OPERATOR)
    assert response.status_code == status, response.text
    if status == 415:
        assert "declared as application/vnd.ms-excel, a binary format" in response.json()["message"]
        assert nothing_stored(app)


async def test_two_files_in_one_upload_are_400_and_neither_is_stored(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    files = [
        ("file", ("eins.md", b"# Eins\n\nDer Grundpreis steigt.", "text/markdown")),
        ("file", ("zwei.md", b"# Zwei\n\nDer Arbeitspreis sinkt.", "text/markdown")),
    ]
    response = await client.post("/api/v1/ingest/doc", files=files, headers=OPERATOR)
    assert response.status_code == 400, response.text
    assert "One file per request, got 2" in response.json()["message"]
    assert nothing_stored(app)


async def test_a_file_sent_without_a_file_name_is_400_saying_what_a_file_part_is(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    """An empty file name makes the part text: "Expected UploadFile, received: <class 'str'>"."""
    response = await upload(client, b"# Tarif\n\nDer Grundpreis steigt.", name="")

    assert response.status_code == 400, response.text
    assert "file: must be a file: a multipart part with a file name" in response.json()["message"]
    assert "UploadFile" not in response.text and nothing_stored(app)


async def test_a_direction_override_in_a_title_or_a_file_name_is_dropped(client: httpx.AsyncClient) -> None:
    """One right-to-left override reversed every German sentence that quoted the title after it."""
    titled = await upload(client, "# Heizkosten \u202esparen im Winter\n\nLüften spart.".encode(), "a.md")
    refused = await upload(client, b"\x89PNG\r\n\x1a\n", "Preisblatt \u202e2026.pdf")

    assert titled.status_code == 201 and titled.json()["data"]["title"] == "Heizkosten sparen im Winter"
    assert refused.status_code == 415 and "\u202e" not in refused.json()["message"]


async def test_control_characters_in_a_title_become_spaces_and_an_invisible_title_is_no_title(
    client: httpx.AsyncClient,
) -> None:
    """An ESC in a title would drive the terminal of whoever lists the documents (``luna`` prints titles)."""
    controlled = await upload(client, b"Strompreise sinken.", "a.txt", title="Preise\x1b[31m 2026\x01x\x7f")
    invisible = await upload(client, b"Gaspreise steigen.", "gaspreise.txt", title="\u200b\u2800")

    assert controlled.status_code == 201 and controlled.json()["data"]["title"] == "Preise [31m 2026 x"
    assert invisible.status_code == 201 and invisible.json()["data"]["title"] == "gaspreise"


async def test_an_upload_over_the_limit_is_413_and_nothing_is_stored(
    build_app: Callable[..., FastAPI],
) -> None:
    app = build_app(LUNA_API__MAX_UPLOAD_MB="1")
    async with http_client(app) as client:
        response = await upload(client, b"Strom " * 200_000, "gross.txt")
    assert response.status_code == 413
    assert response.json()["data"]["code"] == "too_large"
    assert nothing_stored(app)


async def test_only_operators_add_to_the_shared_knowledge_base(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    as_customer = await upload(client, TARIFF.encode(), headers=DEV_USER)
    url_as_customer = await client.post(
        "/api/v1/ingest/url", json={"url": "https://example.org/a.pdf"}, headers=DEV_USER
    )
    assert as_customer.status_code == 403 and as_customer.json()["data"]["code"] == "forbidden"
    assert url_as_customer.status_code == 403
    assert (await upload(client, TARIFF.encode(), headers={})).status_code == 401
    assert (
        await upload(client, TARIFF.encode(), headers={"X-Admin-Key": "wrong-key-0123456789"})
    ).status_code == 403
    assert nothing_stored(app)


class _Site(BaseHTTPRequestHandler):
    pages: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.pages.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def site() -> Iterator[str]:
    _Site.pages = {
        "/tarif.md": (200, {"Content-Type": "text/markdown; charset=utf-8"}, TARIFF.encode()),
        "/weiter": (302, {"Location": "/tarif.md"}, b""),
        "/metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
    }
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_a_url_is_fetched_and_ingested_when_its_host_is_allow_listed(
    build_app: Callable[..., FastAPI], site: str
) -> None:
    app = build_app(LUNA_INGEST__URL_ALLOWLIST='["127.0.0.1"]')
    async with http_client(app) as client:
        response = await client.post("/api/v1/ingest/url", json={"url": f"{site}/weiter"}, headers=OPERATOR)
    assert response.status_code == 201, response.text
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        item = uow.items.get(response.json()["data"]["item_id"])
    assert item is not None and item.url == f"{site}/tarif.md" and item.source == "crawler"


LOGIN_PAGE = b"<!DOCTYPE html><html><body><h1>Netzentgelte</h1><p>Bitte melden Sie sich an.</p></body></html>"


@pytest.mark.parametrize(
    ("path", "content_type", "body", "status"),
    [
        ("/preisblatt.pdf", "application/pdf", LOGIN_PAGE, 415),  # a login page where the PDF was promised
        ("/wiki/Datei:Netz.png", "text/html; charset=utf-8", LOGIN_PAGE, 201),  # a page about an image
        ("/export/tarif.csv", "application/vnd.ms-excel", CSV_TARIFF, 201),  # IIS's type for .csv
    ],
    ids=["text-declared-as-pdf", "html-page-named-png", "csv-declared-as-xls"],
)
async def test_a_fetched_text_is_refused_only_when_the_server_promised_a_binary_format(
    build_app: Callable[..., FastAPI], site: str, path: str, content_type: str, body: bytes, status: int
) -> None:
    _Site.pages[path] = (200, {"Content-Type": content_type}, body)
    app = build_app(LUNA_INGEST__URL_ALLOWLIST='["127.0.0.1"]')
    async with http_client(app) as client:
        response = await client.post("/api/v1/ingest/url", json={"url": f"{site}{path}"}, headers=OPERATOR)
    assert response.status_code == status, response.text
    if status == 415:
        assert response.json()["data"]["code"] == "unsupported_type"
        assert "declared as application/pdf, a binary format" in response.json()["message"]
        assert nothing_stored(app)


@pytest.mark.parametrize(
    ("path_or_url", "allow"),
    [
        ("/tarif.md", "[]"),
        ("/metadata", '["127.0.0.1"]'),
        ("http://10.0.0.7/x.pdf", "[]"),
        ("file:///etc/passwd", "[]"),
    ],
    ids=["loopback", "redirect-to-metadata", "private", "file-scheme"],
)
async def test_forbidden_urls_are_400_and_nothing_is_stored(
    build_app: Callable[..., FastAPI], site: str, path_or_url: str, allow: str
) -> None:
    app = build_app(LUNA_INGEST__URL_ALLOWLIST=allow)
    url = path_or_url if "://" in path_or_url else f"{site}{path_or_url}"
    async with http_client(app) as client:
        response = await client.post("/api/v1/ingest/url", json={"url": url}, headers=OPERATOR)
    assert response.status_code == 400, response.text
    assert nothing_stored(app)


async def test_search_returns_citations_with_the_payload_and_honours_filters(
    client: httpx.AsyncClient,
) -> None:
    tariff = (await upload(client, TARIFF.encode(), kind="note", tags=["tarif"])).json()["data"]["item_id"]
    await upload(client, HEAT_PUMP.encode(), "wp.md", kind="regulation")
    body = {"question": "Wann lohnt sich ein dynamischer Stromtarif?", "top_k": 3}
    found = (await client.post("/api/v1/rag/search", json=body, headers=DEV_USER)).json()["data"]["citations"]
    assert found[0]["payload"]["item_id"] == tariff
    assert {"text", "item_id", "title", "kind", "section", "page", "tags"} <= set(found[0]["payload"])
    filtered = await client.post(
        "/api/v1/rag/search", json={**body, "filters": {"kind": "regulation"}}, headers=DEV_USER
    )
    assert {c["payload"]["kind"] for c in filtered.json()["data"]["citations"]} == {"regulation"}
    bad = await client.post(
        "/api/v1/rag/search", json={**body, "filters": {"kind": {"$ne": 1}}}, headers=DEV_USER
    )
    assert bad.status_code == 400
    defaulted = await client.post("/api/v1/rag/search", json={**body, "top_k": None}, headers=DEV_USER)
    assert defaulted.status_code == 200, defaulted.text  # null is the default, as on /rag/ask
    assert [c["chunk_id"] for c in defaulted.json()["data"]["citations"]][:1] == [found[0]["chunk_id"]]


def payload_indexes(app: FastAPI) -> set[str]:
    """The payload fields the active vector collection has built an index for."""
    container = container_of(app)
    return set(container.vectors.payload_indexes(container.services.knowledge.collections.active()))


@pytest.mark.parametrize(
    "filters",
    [
        {f"k{n}": "x" for n in range(20_000)},  # the probe that kept the server indexing for 13 minutes
        {"uploader_comment": "x"},  # one key no chunk carries
        {"kind": "note", "tags": "a", "page": 1, **{f"k{n}": 1 for n in range(12)}},
    ],
    ids=["20000-keys", "unknown-key", "too-many-keys"],
)
async def test_search_filters_on_unknown_or_too_many_keys_are_400_and_build_no_index(
    client: httpx.AsyncClient, app: FastAPI, filters: dict[str, Any]
) -> None:
    await upload(client, TARIFF.encode())
    before = payload_indexes(app)
    body = {"question": "Wann lohnt sich ein dynamischer Stromtarif?", "filters": filters}
    response = await client.post("/api/v1/rag/search", json=body, headers=DEV_USER)
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "error"
    assert payload_indexes(app) == before


async def test_an_answer_reads_the_configured_number_of_chunks_unless_the_request_says(
    build_app: Callable[..., FastAPI],
) -> None:
    async with http_client(build_app(LUNA_RAG__TOP_K=1)) as client:
        await upload(client, TARIFF.encode())
        await upload(client, HEAT_PUMP.encode(), "wp.md")
        question = "Was brauche ich für einen dynamischen Stromtarif und eine Wärmepumpe?"
        configured = await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)
        asked = await client.post(
            "/api/v1/rag/ask", json={"question": question, "top_k": 3}, headers=DEV_USER
        )

    assert len(configured.json()["data"]["chunks_used"]) == 1
    assert len(asked.json()["data"]["chunks_used"]) > 1


async def test_ask_answers_in_german_with_valid_citations(client: httpx.AsyncClient) -> None:
    await upload(client, TARIFF.encode())
    await upload(client, HEAT_PUMP.encode(), "wp.md")
    response = await client.post(
        "/api/v1/rag/ask",
        json={"question": "Was brauche ich für einen dynamischen Stromtarif?"},
        headers=DEV_USER,
    )
    data = response.json()["data"]
    assert response.status_code == 200
    assert "[chunk " in data["answer"] and "Smart Meter" in data["answer"]
    cited = {c["chunk_id"] for c in data["citations"]}
    assert cited and cited <= set(data["chunks_used"])
    assert all(f"[chunk {chunk_id}]" in data["answer"] for chunk_id in cited)


SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"
#: Nothing in the sample documents answers it, though it is about energy.
UNANSWERABLE = "Wie hoch ist die Stromsteuer für Unternehmen des produzierenden Gewerbes?"


@pytest.mark.parametrize(
    "question",
    [
        "Was kostet die Netznutzung pro Kilowattstunde?",
        "Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?",
    ],
)
async def test_the_readme_price_questions_are_answered_with_the_figure_cited(
    client: httpx.AsyncClient, question: str
) -> None:
    ids = {}
    for name in (
        "netzentgelte-2026.pdf",
        "waermepumpe-im-einfamilienhaus.docx",
        "stromtarife-und-lastverschiebung.md",
    ):
        uploaded = await upload(client, (SAMPLES / name).read_bytes(), name)
        ids[name] = uploaded.json()["data"]["item_id"]

    response = await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)

    data = response.json()["data"]
    # The lead (the line before the quoted table) states the household row itself: the table below it
    # holds every row, so a lead that quoted another row would pass a check of the whole paragraph.
    lead = data["answer"].split("\n")[0]
    assert "Haushalt ohne Leistungsmessung (SLP)" in lead and "8,12" in lead and "ct/kWh" in lead
    assert "2,71" not in lead  # the last row, whose cosine is higher by a hair
    cited_items = {c["payload"]["item_id"] for c in data["citations"]}
    assert ids["netzentgelte-2026.pdf"] in cited_items
    assert data["unsupported_numbers"] == []


async def test_ask_streams_tokens_then_citations_then_done(client: httpx.AsyncClient) -> None:
    await upload(client, TARIFF.encode())
    body = {"question": "Was brauche ich für einen dynamischen Stromtarif?", "stream": True}
    async with client.stream("POST", "/api/v1/rag/ask", json=body, headers=DEV_USER) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = "".join([chunk async for chunk in response.aiter_text()])
    events = [
        (block.split("event: ")[1].split("\r\n")[0], json.loads(block.split("data: ", 1)[1]))
        for block in raw.replace("\r\n\r\n", "\n\n").split("\n\n")
        if "event: " in block
    ]
    kinds = [kind for kind, _ in events]
    assert kinds[-2:] == ["citations", "done"] and set(kinds[:-2]) == {"token"} and len(kinds) > 3
    streamed = "".join(data["text"] for kind, data in events if kind == "token")
    assert streamed == events[-1][1]["answer"]


async def test_a_question_about_another_country_is_not_answered_with_this_country_s_prices(
    client: httpx.AsyncClient,
) -> None:
    await upload(client, (SAMPLES / "netzentgelte-2026.pdf").read_bytes(), "netzentgelte-2026.pdf")
    ask = "Was kostet die Netznutzung pro Kilowattstunde{}?"

    abroad = await client.post(
        "/api/v1/rag/ask", json={"question": ask.format(" in Österreich")}, headers=DEV_USER
    )
    at_home = await client.post(
        "/api/v1/rag/ask", json={"question": ask.format(" in Deutschland")}, headers=DEV_USER
    )

    refused = abroad.json()["data"]
    assert refused["citations"] == [] and "8,12" not in refused["answer"]
    assert "Netzentgelte 2026" in refused["answer"]  # what the knowledge base does cover, named
    assert "was in Österreich gilt, steht nicht darin" in refused["answer"]  # and why it is no answer
    assert "8,12" in at_home.json()["data"]["answer"].split("\n\n")[0]
    # The same question for the readers' own country is offered first: the knowledge base answers it.
    assert refused["follow_ups"][0] == ask.format("")
    assert f"„{ask.format('')}“" in refused["answer"]
    offered = await client.post("/api/v1/rag/ask", json={"question": ask.format("")}, headers=DEV_USER)
    assert "8,12" in offered.json()["data"]["answer"].split("\n\n")[0]


async def test_a_question_set_abroad_is_not_offered_at_home_when_nothing_here_answers_it(
    client: httpx.AsyncClient,
) -> None:
    await upload(client, (SAMPLES / "netzentgelte-2026.pdf").read_bytes(), "netzentgelte-2026.pdf")

    response = await client.post(
        "/api/v1/rag/ask", json={"question": "Wie hoch ist die Kfz-Steuer in Österreich?"}, headers=DEV_USER
    )

    refused = response.json()["data"]
    assert "was in Österreich gilt, steht nicht darin" in refused["answer"]
    assert not any("Kfz-Steuer" in question for question in refused["follow_ups"])


async def test_without_relevant_context_luna_says_so_and_suggests_a_question(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/rag/ask", json={"question": "Wer gewann 1954 die Fußball-WM?"}, headers=DEV_USER
    )
    data = response.json()["data"]
    assert data["citations"] == [] and data["chunks_used"] == []
    assert "hochladen" in data["answer"]  # an empty knowledge base: how documents get there
    assert data["follow_ups"] == []  # and no question Luna could not answer either


async def test_a_refusal_offers_follow_ups_that_luna_then_answers_from_the_named_document(
    client: httpx.AsyncClient,
) -> None:
    for name in ("netzentgelte-2026.pdf", "waermepumpe-im-einfamilienhaus.docx"):
        await upload(client, (SAMPLES / name).read_bytes(), name)

    refusal = (await client.post("/api/v1/rag/ask", json={"question": UNANSWERABLE}, headers=DEV_USER)).json()

    data = refusal["data"]
    assert data["citations"] == [] and 1 <= len(data["follow_ups"]) <= 2
    for question in data["follow_ups"]:
        assert f"„{question}“" in data["answer"]
        asked = await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)
        answer = asked.json()["data"]
        named = question.split("‚")[1].split("‘")[0]
        assert answer["citations"] and answer["citations"][0]["payload"]["title"] == named


#: Statute paragraphs in their own words (StromGVV § 19, EnWG § 42, shortened): no "Stromsperre", no
#: "Atomstrom".
STATUTE = """# Grundversorgung mit Strom

## § 19 Unterbrechung der Versorgung

Bei Nichterfüllung einer Zahlungsverpflichtung trotz Mahnung ist der Grundversorger berechtigt, die
Grundversorgung vier Wochen nach Androhung unterbrechen zu lassen.

## § 20 Kündigung

Der Grundversorgungsvertrag kann mit einer Frist von zwei Wochen gekündigt werden.

## § 42 Stromkennzeichnung

Lieferanten sind verpflichtet, in Rechnungen den Anteil der einzelnen Energieträger (Kernkraft, Kohle,
Erdgas und sonstige fossile Energieträger) am Gesamtenergieträgermix anzugeben.
"""
BALCONY = "Wie groß darf ein Balkonkraftwerk sein?"


@pytest.mark.parametrize(
    ("question", "stated"),
    [
        ("Ab wann droht eine Stromsperre?", "vier Wochen nach Androhung"),
        (
            "Muss mein Stromanbieter angeben, wie viel Atomstrom er liefert?",
            "Anteil der einzelnen Energieträger",
        ),
    ],
)
async def test_a_question_in_everyday_words_is_answered_from_the_statutes_words(
    client: httpx.AsyncClient, question: str, stated: str
) -> None:
    await upload(client, STATUTE.encode(), "stromgvv.md")

    data = (await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)).json()[
        "data"
    ]

    assert stated in data["answer"].split("\n")[0], data["answer"]


async def test_a_refusal_names_the_readers_word_not_the_statutes(client: httpx.AsyncClient) -> None:
    await upload(client, (SAMPLES / "waermepumpe-im-einfamilienhaus.docx").read_bytes(), "wp.docx")

    data = (await client.post("/api/v1/rag/ask", json={"question": BALCONY}, headers=DEV_USER)).json()["data"]

    assert data["citations"] == []
    assert "Balkonkraftwerk" in data["answer"] and "Steckersolargerät" not in data["answer"]


METERING = """# Messstellenbetriebsgesetz (Auszug)

## § 10a Messstellenbetrieb für Steckersolargeräte

Der Messstellenbetreiber hat Zählpunkte von Steckersolargeräten mit einer modernen Messeinrichtung als
Zweirichtungszähler auszustatten, ohne dass es einer gesonderten Beauftragung bedarf.
"""


async def test_a_refusal_names_the_document_that_speaks_of_the_topic(client: httpx.AsyncClient) -> None:
    await upload(client, (SAMPLES / "waermepumpe-im-einfamilienhaus.docx").read_bytes(), "wp.docx")
    await upload(client, METERING.encode(), "msbg.md")
    question = "In welcher Farbe gibt es ein Balkonkraftwerk im Baumarkt?"

    data = (await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)).json()[
        "data"
    ]

    assert data["citations"] == [], data["answer"]
    # The law speaks of plug-in solar devices, so "nothing on it" would be untrue: Luna names it.
    assert "Zum Thema Balkonkraftwerk steht etwas in „Messstellenbetriebsgesetz (Auszug)“" in data["answer"]
    assert "nichts darin" not in data["answer"]


ENWG_EXCERPT = """# Gesetz über die Elektrizitäts- und Gasversorgung (Energiewirtschaftsgesetz – EnWG)

## § 1 Zweck und Ziele des Gesetzes

(1) Zweck des Gesetzes ist eine möglichst sichere, preisgünstige und umweltverträgliche Versorgung der
Allgemeinheit mit Elektrizität und Gas.

## § 14 Aufgaben der Betreiber von Elektrizitätsverteilernetzen

(1) Betreiber von Elektrizitätsverteilernetzen beachten bei der Planung die Steuerung nach § 14a und
melden der Regulierungsbehörde jährlich ihre Netzausbaupläne.

## § 14a Netzorientierte Steuerung von steuerbaren Verbrauchseinrichtungen

(1) Die Bundesnetzagentur kann bundeseinheitliche Regelungen treffen, nach denen Netzbetreiber den Bezug
steuerbarer Verbrauchseinrichtungen wie Wärmepumpen netzorientiert steuern dürfen.

(2) Im Gegenzug ist ein reduziertes Netzentgelt zu berechnen.
"""


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        # § 14 names "§ 14a" in its text; the reader asked for the section itself, from its first paragraph.
        ("Was regelt § 14a EnWG?", "(§ 14a Abs. 1 EnWG) Die Bundesnetzagentur"),
        (
            "Worum geht es in Paragraf 14a des Energiewirtschaftsgesetzes?",
            "(§ 14a Abs. 1 EnWG) Die Bundesnetzagentur",
        ),
        # A whole law is about its § 1.
        ("Was regelt das EnWG?", "(§ 1 Abs. 1 EnWG) Zweck des Gesetzes ist"),
        ("Worum geht es im Energiewirtschaftsgesetz?", "(§ 1 Abs. 1 EnWG) Zweck des Gesetzes ist"),
    ],
)
async def test_a_question_that_names_a_section_or_a_law_is_answered_from_its_beginning(
    client: httpx.AsyncClient, question: str, lead: str
) -> None:
    await upload(client, ENWG_EXCERPT.encode(), "enwg.md")

    data = (await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)).json()[
        "data"
    ]

    assert data["answer"].startswith(f"Kurz gesagt: {lead}"), data["answer"]
    section = "§ 14a Netzorientierte" if "14a" in question else "§ 1 Zweck"
    assert section in data["citations"][0]["payload"]["section"]


async def test_a_law_the_knowledge_base_lacks_is_not_answered_from_another_law(
    client: httpx.AsyncClient,
) -> None:
    await upload(client, ENWG_EXCERPT.encode(), "enwg.md")

    for question in ("Was regelt das BGB?", "Was regelt § 14a EStG?"):
        data = (await client.post("/api/v1/rag/ask", json={"question": question}, headers=DEV_USER)).json()
        assert "Zweck des Gesetzes ist" not in data["data"]["answer"], question
        assert "Die Bundesnetzagentur kann bundeseinheitliche" not in data["data"]["answer"], question


async def test_asking_too_often_is_429_with_retry_after(build_app: Callable[..., FastAPI]) -> None:
    app = build_app(LUNA_RAG__ASK_PER_MINUTE="2")
    async with http_client(app) as client:
        codes = [
            (
                await client.post("/api/v1/rag/ask", json={"question": "Strompreis?"}, headers=DEV_USER)
            ).status_code
            for _ in range(3)
        ]
        limited = await client.post("/api/v1/rag/ask", json={"question": "Strompreis?"}, headers=DEV_USER)
        other_user = await client.post(
            "/api/v1/rag/ask",
            json={"question": "Strompreis?"},
            headers={"X-Dev-User": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"},
        )
    assert codes == [200, 200, 429]
    assert limited.json()["data"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    assert other_user.status_code == 200


async def test_a_refused_request_costs_no_question_or_search(build_app: Callable[..., FastAPI]) -> None:
    """A chat tool's malformed requests used up a customer's minute before a real question came."""
    app = build_app(LUNA_RAG__ASK_PER_MINUTE="1", LUNA_RAG__SEARCH_PER_MINUTE="1")
    async with http_client(app) as client:
        for _ in range(3):
            bad_question = await client.post("/api/v1/rag/ask", json={"question": ""}, headers=DEV_USER)
            bad_search = await client.post("/api/v1/rag/search", json={"question": 7}, headers=DEV_USER)
            assert (bad_question.status_code, bad_search.status_code) == (400, 400)
        body = {"question": "Strompreis?"}
        asked = await client.post("/api/v1/rag/ask", json=body, headers=DEV_USER)
        searched = await client.post("/api/v1/rag/search", json=body, headers=DEV_USER)
        again = await client.post("/api/v1/rag/ask", json=body, headers=DEV_USER)
    assert (asked.status_code, searched.status_code, again.status_code) == (200, 200, 429)


async def test_searching_too_often_is_429_with_retry_after(build_app: Callable[..., FastAPI]) -> None:
    app = build_app(LUNA_RAG__SEARCH_PER_MINUTE="2")
    body = {"question": "Strompreis?"}
    async with http_client(app) as client:
        codes = [
            (await client.post("/api/v1/rag/search", json=body, headers=DEV_USER)).status_code
            for _ in range(3)
        ]
        limited = await client.post("/api/v1/rag/search", json=body, headers=DEV_USER)
    assert codes == [200, 200, 429]
    assert limited.json()["data"]["code"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1


async def test_replace_delete_and_verify_through_the_admin_api(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    item_id = (await upload(client, TARIFF.encode())).json()["data"]["item_id"]
    newer = TARIFF.replace("jeweiligen Stunde", "jeweiligen Viertelstunde")
    replaced = await client.put(
        f"/api/v1/admin/item/{item_id}",
        files={"file": ("t.md", newer.encode(), "text/markdown")},
        headers=admin,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["data"]["version"] == 2 and replaced.json()["data"]["archived_chunks"] >= 1
    same_again = await client.put(
        f"/api/v1/admin/item/{item_id}",
        files={"file": ("t.md", newer.encode(), "text/markdown")},
        headers=admin,
    )
    assert same_again.status_code == 409
    verify = await client.post("/api/v1/admin/verify", json={}, headers=admin)
    assert verify.json()["data"]["clean"] is True and verify.json()["data"]["repairable"] is False
    deleted = await client.delete(f"/api/v1/admin/item/{item_id}", headers=admin)
    assert deleted.status_code == 200 and deleted.json()["data"]["chunks_deleted"] >= 2
    assert nothing_stored(app)
    audit = (await client.get("/api/v1/admin/audit", params={"action": "item.delete"}, headers=admin)).json()
    assert [(e["actor"], e["target"]) for e in audit["data"]["entries"]] == [("admin", f"item:{item_id}")]
    assert (await client.delete(f"/api/v1/admin/item/{item_id}", headers=admin)).status_code == 404
    assert (await client.get("/api/v1/admin/item/not-a-uuid", headers=admin)).status_code == 404


async def test_the_drift_report_names_a_document_whose_upload_is_lost_as_not_repairable(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    """`luna admin verify` against a running server names lost documents from this list, so it must be
    there (it was rebuilt from two other lists in the shell)."""
    item_id = (await upload(client, TARIFF.encode())).json()["data"]["item_id"]
    blobs = container_of(app).blobs
    (raw,) = blobs.list(f"docs/raw/{item_id}/")
    blobs.delete(raw)

    report = (await client.post("/api/v1/admin/verify", json={}, headers=admin)).json()["data"]

    assert report["lost_files"] == [item_id] and report["missing_raw_files"] == [item_id]
    assert report["clean"] is False and report["repairable"] is False


async def test_reindex_is_a_known_job_and_checks_its_arguments(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    from luna.workers.registry import load_jobs

    app = build_app(known_jobs=load_jobs())
    async with http_client(app) as client:
        queued = await client.post("/api/v1/admin/reindex", json={}, headers=admin)
        assert queued.status_code == 202 and queued.json()["data"]["name"] == "kb.reindex"
        bad = await client.post("/api/v1/admin/reindex", json={"item_ids": ["nope"]}, headers=admin)
        assert bad.status_code == 404 and bad.json()["message"] == "No item with id 'nope'."
        unknown = await client.post(
            "/api/v1/admin/reindex",
            json={"item_ids": ["5b1e8a52-3c1d-4d8e-9a55-1f2b3c4d5e6f"]},
            headers=admin,
        )
        assert unknown.status_code == 404
        bad_filter = await client.post(
            "/api/v1/admin/reindex", json={"filter": {"colour": "red"}}, headers=admin
        )
        assert bad_filter.status_code == 400
        listed = (await client.get("/api/v1/admin/jobs", params={"name": "kb.reindex"}, headers=admin)).json()
        assert listed["data"]["total"] == 1  # only the valid request was queued
        fix = await client.post("/api/v1/admin/verify", json={"fix": True}, headers=admin)
        assert fix.status_code == 202 and fix.json()["data"]["name"] == "kb.verify"


async def test_one_reindex_at_a_time_and_no_restore_during_it(
    build_app: Callable[..., FastAPI], admin: dict[str, str]
) -> None:
    from luna.workers.registry import load_jobs

    app = build_app(known_jobs=load_jobs())
    async with http_client(app) as client:
        snapshot = await client.post("/api/v1/admin/snapshots", json={}, headers=admin)
        first = await client.post("/api/v1/admin/reindex", json={}, headers=admin)
        again = [await client.post("/api/v1/admin/reindex", json={}, headers=admin) for _ in range(2)]
        snapshot_id = snapshot.json()["data"]["id"]
        restore = await client.post(f"/api/v1/admin/snapshots/{snapshot_id}/restore", headers=admin)
        listed = (await client.get("/api/v1/admin/jobs", params={"name": "kb.reindex"}, headers=admin)).json()

    assert snapshot.status_code in (200, 201), snapshot.text
    assert first.status_code == 202
    assert [r.status_code for r in again] == [409, 409]
    assert again[0].json()["data"]["details"]["job_id"] == first.json()["data"]["job_id"]
    assert restore.status_code == 409 and "reindex" in restore.json()["message"]
    assert listed["data"]["total"] == 1


async def test_a_snapshot_restores_the_knowledge_base_through_the_admin_api(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    item_id = (await upload(client, TARIFF.encode())).json()["data"]["item_id"]
    body = {"question": "Was brauche ich für einen dynamischen Stromtarif?", "top_k": 3}
    before = (await client.post("/api/v1/rag/search", json=body, headers=DEV_USER)).json()["data"]
    created = await client.post(
        "/api/v1/admin/snapshots", json={"qdrant": True, "pg_dump": True}, headers=admin
    )
    assert created.status_code == 201, created.text
    snapshot = created.json()["data"]
    assert snapshot["parts"] == ["sql", "vectors", "blobs"] and snapshot["counts"]["items"] == 1
    await client.delete(f"/api/v1/admin/item/{item_id}", headers=admin)
    assert nothing_stored(app)
    restored = await client.post(f"/api/v1/admin/snapshots/{snapshot['id']}/restore", headers=admin)
    assert restored.status_code == 200, restored.text
    after = (await client.post("/api/v1/rag/search", json=body, headers=DEV_USER)).json()["data"]
    assert after == before
    listed = (await client.get("/api/v1/admin/snapshots", headers=admin)).json()["data"]
    assert [s["id"] for s in listed] == [snapshot["id"]]
    assert (
        await client.post("/api/v1/admin/snapshots/..%2F..%2Fetc/restore", headers=admin)
    ).status_code == 404
    assert (await client.get("/api/v1/admin/snapshots", headers=DEV_USER)).status_code == 403


async def test_a_restore_keeps_every_event_rating_conversation_and_account_written_since(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    """The hostile-input probe of the whole-database restore: what was acknowledged (201) stays."""
    item_id = (await upload(client, TARIFF.encode())).json()["data"]["item_id"]
    snapshot_id = (await client.post("/api/v1/admin/snapshots", json={}, headers=admin)).json()["data"]["id"]
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        chunk_id = uow.chunks.list_for_item(item_id)[0].chunk_id
    event = await client.post("/api/v1/events", json={"type": "view", "chunk_id": chunk_id}, headers=DEV_USER)
    rating = await client.post(
        "/api/v1/feedback/rag",
        json={"question": "Was kostet Strom?", "answer": "30 ct.", "useful": True, "chunks_used": [chunk_id]},
        headers=DEV_USER,
    )
    asked = await client.post(
        "/api/v1/rag/ask",
        json={"question": "Was brauche ich für einen dynamischen Stromtarif?"},
        headers=DEV_USER,
    )
    account = await client.post(
        "/api/v1/admin/service-accounts", json={"name": "bi-tool", "scopes": ["kpi:read"]}, headers=admin
    )
    assert [r.status_code for r in (event, rating, asked, account)] == [201, 201, 200, 201]
    me_before = (await client.get("/api/v1/users/me", headers=DEV_USER)).json()["data"]
    assert (me_before["events"], me_before["ratings"], me_before["conversations"]) == (2, 1, 1)

    restored = await client.post(f"/api/v1/admin/snapshots/{snapshot_id}/restore", headers=admin)

    assert restored.status_code == 200, restored.text
    me_after = (await client.get("/api/v1/users/me", headers=DEV_USER)).json()["data"]
    assert me_after == me_before
    accounts = (await client.get("/api/v1/admin/service-accounts", headers=admin)).json()["data"]["accounts"]
    assert [a["name"] for a in accounts] == ["bi-tool"]
    with container_of(app).database.unit_of_work(read_only=True) as uow:
        stored = uow.events.for_user(DEV_USER["X-Dev-User"], limit=100)
    viewed = next(e for e in stored if e.event_id == event.json()["data"]["event_id"])
    assert (viewed.item_id, viewed.chunk_id) == (item_id, chunk_id)


async def test_an_old_whole_database_snapshot_is_refused_with_409(
    client: httpx.AsyncClient, app: FastAPI, admin: dict[str, str]
) -> None:
    snapshot_id = (await client.post("/api/v1/admin/snapshots", json={}, headers=admin)).json()["data"]["id"]
    manifest_file = container_of(app).settings.snapshots_path / snapshot_id / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest["format"] = 1
    del manifest["rows"]  # as Luna wrote snapshots before they held the knowledge base's rows
    manifest_file.write_text(json.dumps(manifest), encoding="utf-8")

    refused = await client.post(f"/api/v1/admin/snapshots/{snapshot_id}/restore", headers=admin)

    assert refused.status_code == 409, refused.text
    assert "by hand" in refused.json()["message"]
