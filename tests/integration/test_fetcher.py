"""HttpFetcher against a real HTTP server on 127.0.0.1: the SSRF guard, pinning, redirects, limits.

Every test runs with ``socket.create_connection`` wrapped: it records each address the fetcher
connects to and refuses anything outside 127.0.0.0/8, so no test reaches the outside world and a
refusal "without any connection" can be proven. Fake DNS answers come from the ``resolve`` parameter.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import luna
from luna.adapters.web.fetcher import HttpFetcher, resolve_host
from luna.domain.errors import InvalidInput, TooLarge, Unavailable, Unprocessable
from luna.ports.fetch import FetchedDocument

MB = 1024 * 1024
Route = Callable[[BaseHTTPRequestHandler], None]


class LocalServer:
    """An HTTP/1.1 server on an ephemeral port; tests set its routes, it records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path.split("?", 1)[0])
                try:
                    if route is None:
                        reply(self, b"no such page", status=404)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the fetcher hung up early on purpose (size limit, timeout)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port: int = self.httpd.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


def reply(
    handler: BaseHTTPRequestHandler, body: bytes, *, status: int = 200, headers: dict[str, str] | None = None
) -> None:
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: reply(h, b"", status=status, headers={"Location": location})


class ConnectionSpy:
    """Stands in for socket.create_connection: records the address, lets only loopback through."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self._real = socket.create_connection

    def __call__(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        self.addresses.append(address[0])
        if not address[0].startswith("127."):
            raise ConnectionRefusedError(f"test network: {address[0]} is unreachable")
        return self._real(address, *args, **kwargs)


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> ConnectionSpy:
    spy = ConnectionSpy()
    monkeypatch.setattr(socket, "create_connection", spy)
    return spy


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    # A short poll interval only makes shutdown() quick; requests are served as they arrive.
    thread = threading.Thread(target=local.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield local
    local.release.set()
    local.httpd.shutdown()
    local.httpd.server_close()
    thread.join()


def fetcher(
    *,
    allowlist: Sequence[str] = ("127.0.0.1",),
    timeout_sec: float = 5.0,
    max_bytes: int = MB,
    max_redirects: int = 3,
    resolve: Callable[[str, int], Sequence[str]] = resolve_host,
) -> HttpFetcher:
    return HttpFetcher(timeout_sec, max_bytes, max_redirects, allowlist, resolve=resolve)


def dns(*answers: Sequence[str]) -> tuple[Callable[[str, int], Sequence[str]], list[str]]:
    """A resolver that gives ``answers`` one call after the other (the last one again), and its log."""
    asked: list[str] = []

    def resolve(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    return resolve, asked


# --- successful fetches --------------------------------------------------------------------------


def test_fetches_the_body_with_media_type_file_name_and_user_agent(server: LocalServer) -> None:
    body = b"Arbeitspreis 31,2 ct/kWh"
    server.routes["/files/tariff.txt"] = lambda h: reply(
        h, body, headers={"Content-Type": "Text/Plain; charset=utf-8"}
    )
    url = server.url("/files/tariff.txt")

    document = fetcher().fetch(url)

    assert document == FetchedDocument(
        url=url, final_url=url, data=body, content_type="text/plain", filename="tariff.txt"
    )
    assert server.requests[0][1]["user-agent"] == f"Luna/{luna.__version__} (+document ingest)"


def test_without_content_type_and_name_both_are_none(server: LocalServer) -> None:
    server.routes["/"] = lambda h: reply(h, b"%PDF-1.7 ...")

    document = fetcher().fetch(server.url("/"))

    assert (document.content_type, document.filename) == (None, None)


def test_file_name_from_the_decoded_last_path_segment(server: LocalServer) -> None:
    server.routes["/files/Jahresbericht%202024.pdf"] = lambda h: reply(h, b"%PDF-1.7 ...")

    document = fetcher().fetch(server.url("/files/Jahresbericht%202024.pdf?download=1"))

    assert document.filename == "Jahresbericht 2024.pdf"


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="Preisblatt 2025.pdf"', "Preisblatt 2025.pdf"),
        ("attachment; filename*=UTF-8''Stromkosten%20%E2%82%AC.pdf", "Stromkosten €.pdf"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ("inline", "download"),
    ],
)
def test_file_name_from_content_disposition(server: LocalServer, disposition: str, expected: str) -> None:
    server.routes["/download"] = lambda h: reply(h, b"data", headers={"Content-Disposition": disposition})

    assert fetcher().fetch(server.url("/download")).filename == expected


# --- URL validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/tariff.pdf", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("javascript:alert(1)", "Only http and https"),
        ("example.com/tariff.pdf", "Only http and https"),
        ("http://", "has no host"),
        ("http://user:secret@example.com/tariff.pdf", "user name or password"),
        ("http://example.com:99999/", "port"),
        ("http://example.com/" + "a" * 2030, "longer than 2048 characters"),
        ("http://xn--/", "not a valid URL"),  # a punycode label that decodes to nothing was a 500
        ("http://xn--zz-abc.de/", "not a valid URL"),
    ],
)
def test_refuses_malformed_urls_before_resolving(url: str, message: str, connections: ConnectionSpy) -> None:
    resolve, asked = dns(["93.184.216.34"])

    with pytest.raises(InvalidInput, match=message) as raised:
        fetcher(resolve=resolve).fetch(url)

    assert (asked, connections.addresses) == ([], [])
    assert raised.value.details["reason"] == "invalid_url"


def test_a_url_of_exactly_2048_characters_is_accepted(server: LocalServer) -> None:
    prefix = server.url("/")
    server.routes["/" + "a" * (2048 - len(prefix))] = lambda h: reply(h, b"ok")

    assert fetcher().fetch(prefix + "a" * (2048 - len(prefix))).data == b"ok"


@pytest.mark.parametrize(
    ("error", "expected"),
    [(socket.EAI_NONAME, InvalidInput), (socket.EAI_AGAIN, Unavailable)],
)
def test_unresolvable_host(error: int, expected: type[Exception]) -> None:
    def resolve(host: str, port: int) -> Sequence[str]:
        raise socket.gaierror(error, "resolver said no")

    with pytest.raises(expected, match="could not be resolved") as raised:
        fetcher(resolve=resolve).fetch("http://no-such-host.example/a.pdf")

    if expected is InvalidInput:  # a name nobody knows; a resolver that is down is another matter
        assert raised.value.details["reason"] == "unknown_host"


@pytest.mark.parametrize("host", ["gibt-es-nicht.invalid", "a.b.INVALID.", "invalid"])
def test_a_name_under_the_reserved_invalid_domain_is_refused_without_asking_a_resolver(host: str) -> None:
    def resolve(host: str, port: int) -> Sequence[str]:
        raise AssertionError("a resolver without network would take its whole timeout to say no")

    with pytest.raises(InvalidInput, match="could not be resolved") as raised:
        fetcher(resolve=resolve).fetch(f"https://{host}/preise.pdf")

    assert raised.value.details["reason"] == "unknown_host"


# --- SSRF guard -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "169.254.169.254",
        "10.1.2.3",
        "0.0.0.0",
        "2130706433",
        "0x7f.1",
        "017700000001",
        "[::ffff:127.0.0.1]",
        "[fd00:ec2::254]",
    ],
)
def test_refuses_internal_addresses_without_connecting(
    server: LocalServer, connections: ConnectionSpy, host: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        fetcher(allowlist=()).fetch(server.url("/doc.txt", host=host))

    assert "not allowed" in raised.value.message and raised.value.details["reason"] == "forbidden_address"
    assert "ingest.url_allowlist" in raised.value.message
    assert "LUNA_INGEST__URL_ALLOWLIST" in raised.value.message
    assert (server.requests, connections.addresses) == ([], [])


@pytest.mark.parametrize(
    "answer",
    [
        ["93.184.216.34", "10.0.0.5"],  # one internal address among public ones is enough
        ["192.168.1.10"],
        ["172.16.0.1"],
        ["100.64.3.4"],  # CGNAT
        ["169.254.169.254"],
        ["fd00:ec2::254"],
        ["fe80::1"],
        ["::"],
        ["224.0.0.251"],
        ["ff02::1"],
        ["240.0.0.1"],
        ["::ffff:169.254.169.254"],
        ["2002:7f00:1::1"],  # 6to4 of 127.0.0.1
        ["64:ff9b::a9fe:a9fe"],  # NAT64 of 169.254.169.254
    ],
)
def test_refuses_a_public_looking_name_that_resolves_inside(
    connections: ConnectionSpy, answer: list[str]
) -> None:
    resolve, _ = dns(answer)

    with pytest.raises(InvalidInput, match="not allowed"):
        fetcher(allowlist=(), resolve=resolve).fetch("https://docs.example/tariff.pdf")

    assert connections.addresses == []


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700:4700::1111", "64:ff9b::5db8:d822", "2002:5db8:d822::1"]
)
def test_public_addresses_pass_and_the_connection_goes_to_the_checked_one(
    connections: ConnectionSpy, address: str
) -> None:
    resolve, asked = dns([address], ["127.0.0.1"])

    with pytest.raises(Unavailable, match="could not be fetched"):
        fetcher(allowlist=(), resolve=resolve).fetch("http://docs.example/tariff.pdf")

    assert (asked, connections.addresses) == (["docs.example"], [address])


@pytest.mark.parametrize(
    ("allowlist", "answer", "allowed"),
    [
        (["intranet.example"], "10.0.0.7", True),
        (["Intranet.Example."], "10.0.0.7", True),
        (["10.0.0.0/8"], "10.0.0.7", True),
        (["10.0.0.7"], "10.0.0.7", True),
        (["fd00::/8"], "fd00:ec2::254", True),
        (["10.0.0.0/8"], "192.168.1.1", False),
        (["other.example"], "10.0.0.7", False),
        (["intranet.example:80"], "10.0.0.7", True),
        (["intranet.example:8080"], "10.0.0.7", False),  # another port than the URL's (80)
        (["10.0.0.7:80"], "10.0.0.7", True),
        (["[fd00::1]:80"], "fd00::1", True),
        (["[fd00::1]:81"], "fd00::1", False),
    ],
)
def test_allowlist_opens_host_names_addresses_and_networks(
    connections: ConnectionSpy, allowlist: list[str], answer: str, allowed: bool
) -> None:
    resolve, _ = dns([answer])
    expected = Unavailable if allowed else InvalidInput  # allowed: gets as far as connecting

    with pytest.raises(expected):
        fetcher(allowlist=allowlist, resolve=resolve).fetch("http://intranet.example/a.pdf")

    assert connections.addresses == ([answer] if allowed else [])


@pytest.mark.parametrize(
    "entry",
    [
        "10.0.0.0/33",
        "http://intranet.example",
        " ",
        "intranet.example:0",
        "intranet.example:99999",
        "10.0.0.0/8:80",
    ],
)
def test_allowlist_entries_that_are_neither_host_address_nor_cidr_are_rejected(entry: str) -> None:
    with pytest.raises(ValueError, match=r"ingest\.url_allowlist"):
        fetcher(allowlist=[entry])


# --- pinning: the connection goes where the check looked ------------------------------------------


def test_resolves_once_and_connects_to_the_checked_address_keeping_the_host_name(
    server: LocalServer, connections: ConnectionSpy
) -> None:
    server.routes["/doc.txt"] = lambda h: reply(h, b"pinned")
    resolve, asked = dns(["127.0.0.1"], ["10.66.0.1"])  # a rebinding DNS: internal on the second ask

    document = fetcher(resolve=resolve).fetch(f"http://docs.example:{server.port}/doc.txt")

    assert document.data == b"pinned"
    assert (asked, connections.addresses) == (["docs.example"], ["127.0.0.1"])
    assert server.requests[0][1]["host"] == f"docs.example:{server.port}"


def test_tries_the_next_checked_address_when_one_refuses(
    server: LocalServer, connections: ConnectionSpy
) -> None:
    server.routes["/doc.txt"] = lambda h: reply(h, b"second address")
    resolve, _ = dns(["127.0.0.2", "127.0.0.1"])  # nothing listens on 127.0.0.2

    document = fetcher(allowlist=["127.0.0.0/8"], resolve=resolve).fetch(
        f"http://docs.example:{server.port}/doc.txt"
    )

    assert document.data == b"second address"
    assert connections.addresses == ["127.0.0.2", "127.0.0.1"]


def test_tls_uses_the_host_name_for_sni_and_verifies_the_certificate() -> None:
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no certificate: records the name, then fails
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]

    def handshake() -> None:
        with listener, listener.accept()[0] as conn, contextlib.suppress(ssl.SSLError):
            context.wrap_socket(conn, server_side=True)

    thread = threading.Thread(target=handshake)
    thread.start()
    resolve, _ = dns(["127.0.0.1"])

    with pytest.raises(Unavailable):
        fetcher(resolve=resolve).fetch(f"https://docs.example:{port}/tariff.pdf")

    thread.join()
    assert names == ["docs.example"]


# --- redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_follows_a_redirect_and_reports_the_final_url(server: LocalServer, status: int) -> None:
    server.routes["/old"] = redirect("/docs/report.txt", status)
    server.routes["/docs/report.txt"] = lambda h: reply(h, b"moved here")

    document = fetcher().fetch(server.url("/old"))

    assert document.url == server.url("/old")
    assert document.final_url == server.url("/docs/report.txt")
    assert (document.data, document.filename) == (b"moved here", "report.txt")


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "not allowed"),
        ("http://10.0.0.1/", "not allowed"),
        ("http://[::1]/", "not allowed"),
        ("file:///etc/passwd", "Only http and https"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http://xn--/", "no valid name"),
    ],
)
def test_each_redirect_target_is_checked_before_connecting(
    server: LocalServer, connections: ConnectionSpy, target: str, message: str
) -> None:
    server.routes["/go"] = redirect(target)

    with pytest.raises(InvalidInput, match=message):
        fetcher().fetch(server.url("/go"))

    assert (server.paths(), connections.addresses) == (["/go"], ["127.0.0.1"])


@pytest.mark.parametrize(("chain", "max_redirects", "ok"), [(2, 2, True), (3, 2, False), (1, 0, False)])
def test_redirect_limit(server: LocalServer, chain: int, max_redirects: int, ok: bool) -> None:
    for hop in range(chain):
        server.routes[f"/hop/{hop}"] = redirect(f"/hop/{hop + 1}")
    server.routes[f"/hop/{chain}"] = lambda h: reply(h, b"arrived")

    if ok:
        assert fetcher(max_redirects=max_redirects).fetch(server.url("/hop/0")).data == b"arrived"
    else:
        with pytest.raises(InvalidInput, match=f"redirects more than {max_redirects} times") as raised:
            fetcher(max_redirects=max_redirects).fetch(server.url("/hop/0"))
        assert len(server.requests) == max_redirects + 1
        assert raised.value.details["reason"] == "too_many_redirects"


# --- limits and remote failures -------------------------------------------------------------------


def test_a_body_of_exactly_the_limit_is_accepted(server: LocalServer) -> None:
    server.routes["/exact"] = lambda h: reply(h, b"x" * 1000)

    assert len(fetcher(max_bytes=1000).fetch(server.url("/exact")).data) == 1000


def test_refuses_at_once_when_content_length_is_too_large(server: LocalServer) -> None:
    def announce_and_stall(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(5 * MB))
        h.end_headers()
        server.release.wait()  # a fetcher that waited for the body would time out instead

    server.routes["/big"] = announce_and_stall

    with pytest.raises(TooLarge, match=r"larger than 1 MB \(setting ingest\.url_max_mb\)"):
        fetcher(max_bytes=MB).fetch(server.url("/big"))


def test_stops_reading_a_chunked_body_as_soon_as_it_passes_the_limit(server: LocalServer) -> None:
    def chunks_then_stall(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for _ in range(2):
            h.wfile.write(b"%x\r\n%s\r\n" % (600 * 1024, b"x" * 600 * 1024))
        server.release.wait()  # the body never ends: only stopping early gives TooLarge

    server.routes["/stream"] = chunks_then_stall

    with pytest.raises(TooLarge, match=r"ingest\.url_max_mb") as raised:
        fetcher(max_bytes=MB).fetch(server.url("/stream"))
    assert raised.value.details == {"limit_mb": 1}


def _stall_before_answering(server: LocalServer) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        server.release.wait()

    return route


def _stall_mid_body(server: LocalServer) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        h.wfile.write(b"x" * 10)
        server.release.wait()

    return route


def _drip(server: LocalServer) -> Route:
    """One byte every 50 ms for 5 s: each read is quick, only a deadline for the whole fetch stops it."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "100")
        h.end_headers()
        for _ in range(100):
            if server.release.wait(0.05):
                return
            h.wfile.write(b"x")

    return route


@pytest.mark.parametrize("behaviour", [_stall_before_answering, _stall_mid_body, _drip])
def test_the_whole_fetch_is_bounded_by_the_timeout(
    server: LocalServer, behaviour: Callable[[LocalServer], Route]
) -> None:
    server.routes["/slow"] = behaviour(server)

    with pytest.raises(Unavailable, match=r"127\.0\.0\.1 did not answer within 0\.5 s"):
        fetcher(timeout_sec=0.5).fetch(server.url("/slow"))


def test_a_port_without_server_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused

        with pytest.raises(Unavailable, match="could not be fetched"):
            fetcher().fetch(f"http://127.0.0.1:{port}/doc.txt")


@pytest.mark.parametrize("status", [401, 404, 410, 500, 503])
def test_an_error_status_is_unprocessable_and_names_the_status(server: LocalServer, status: int) -> None:
    server.routes["/doc"] = lambda h: reply(h, b"error page", status=status)

    with pytest.raises(Unprocessable, match=f"HTTP status {status}") as raised:
        fetcher().fetch(server.url("/doc"))
    assert raised.value.details == {"status": status}


def test_an_empty_body_is_unprocessable(server: LocalServer) -> None:
    server.routes["/empty"] = lambda h: reply(h, b"")

    with pytest.raises(Unprocessable, match="empty"):
        fetcher().fetch(server.url("/empty"))
