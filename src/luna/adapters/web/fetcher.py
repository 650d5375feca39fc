"""Downloads a document by URL without letting the URL reach into Luna's own network.

Luna runs on premise, next to databases, model servers and (in clouds) a metadata service, so a URL
from a user is a server-side request forgery risk. Before every request, also after each redirect,
the host is resolved once and refused when ANY of its addresses is internal: loopback, private,
link-local (incl. the cloud metadata service), CGNAT, unspecified, multicast, reserved, or an IPv6
address that embeds such an IPv4 address (mapped, 6to4, NAT64). Numeric tricks such as
``http://2130706433/`` need no special case: the resolver turns them into 127.0.0.1 first.
``ingest.url_allowlist`` lets an administrator open host names, addresses or CIDRs on purpose.

DNS rebinding: the connection goes to the very addresses that were checked. An httpcore network
backend replaces the resolver's answer at connect time while the request keeps the original name, so
the ``Host`` header, TLS SNI and certificate check still use the name. httpx has no public parameter
for a network backend, so :class:`_PinnedTransport` swaps the connection pool that
``httpx.HTTPTransport`` built (the one place that relies on httpx internals; httpx is pinned and the
pinning tests fail if it changes). Proxies from the environment are ignored, they would bypass it.

Time: httpx limits each connect and read on its own, so a server dripping one byte at a time could
hold a request forever. The same backend cuts every socket operation at one deadline for the whole
fetch. Name resolution counts towards it but cannot be interrupted (the system resolver's own timeout
applies).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from email.message import Message
from typing import Any

import httpcore
import httpx

from luna import __version__
from luna.domain.errors import InvalidInput, TooLarge, Unavailable, Unprocessable
from luna.domain.url_allowlist import parse_allow_entry
from luna.ports.fetch import REASON_KEY, FetchedDocument, RefusedUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

MAX_URL_LENGTH = 2048
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_ALLOWLIST_SETTING = "ingest.url_allowlist (env LUNA_INGEST__URL_ALLOWLIST)"


def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host``, in its order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_forbidden(ip: IPAddress) -> bool:
    """True for an address inside this machine or a non-public network.

    An IPv6 address that carries an IPv4 address (mapped, 6to4, NAT64) is judged by the IPv4 address,
    which is where the packets end up.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_forbidden(embedded)
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in _CGNAT
        or not ip.is_global
    )


def _budget(deadline: float, timeout: float | None, error: type[httpcore.TimeoutException]) -> float:
    """The time one socket operation may take: its own timeout, cut at the deadline of the fetch."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the time for the whole fetch ran out")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _budget(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _budget(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        budget = _budget(self._deadline, timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, budget), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked addresses of one host (in order, like the system would), nothing else."""

    def __init__(self, host: str, addresses: Sequence[str], deadline: float) -> None:
        self._host = host
        self._addresses = addresses
        self._deadline = deadline
        self._system = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        if host != self._host:
            raise httpcore.ConnectError(f"this connection may only go to {self._host}, not {host}")
        error = httpcore.ConnectError(f"{host} has no address")
        for address in self._addresses:
            budget = _budget(self._deadline, timeout, httpcore.ConnectTimeout)
            try:
                stream = self._system.connect_tcp(address, port, budget, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise error


class _PinnedTransport(httpx.HTTPTransport):
    def __init__(self, backend: _PinnedBackend, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context)
        self._pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend)


class HttpFetcher:
    """The :class:`~luna.ports.fetch.Fetcher` over HTTP(S), guarded as the module docstring says.

    ``resolve`` is the name resolver (tests give a fake one to play a DNS answer).
    """

    def __init__(
        self,
        timeout_sec: float,
        max_bytes: int,
        max_redirects: int,
        allowlist: Sequence[str] = (),
        *,
        resolve: Resolver = resolve_host,
    ) -> None:
        self._timeout = timeout_sec
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._resolve = resolve
        try:
            self._allowed = [parse_allow_entry(entry) for entry in allowlist]
        except ValueError as error:
            raise ValueError(f"ingest.url_allowlist: {error}") from None
        self._ssl_context = httpx.create_ssl_context()
        # Uncompressed bodies: the size limit then counts the bytes that are kept, and a small gzip
        # bomb cannot expand in memory before the limit sees it.
        self._headers = {
            "User-Agent": f"Luna/{__version__} (+document ingest)",
            "Accept": "*/*",
            "Accept-Encoding": "identity",
        }

    def fetch(self, url: str) -> FetchedDocument:
        url = url.strip()
        deadline = time.monotonic() + self._timeout
        current = _parse(url)
        for _ in range(self._max_redirects + 1):
            try:
                answer = self._request(current, deadline)
            except httpx.TimeoutException as exc:
                raise Unavailable(f"{current.host} did not answer within {self._timeout:g} s") from exc
            except httpx.TransportError as exc:
                raise Unavailable(f"{current} could not be fetched: {exc}") from exc
            except UnicodeError as exc:  # httpx reads a redirect's host before Luna checks it
                raise InvalidInput(
                    f"{current} redirects to a host that is no valid name: {exc}",
                    details=_refused("invalid_url"),
                ) from exc
            if isinstance(answer, httpx.URL):
                current = answer
                continue
            data, headers = answer
            return FetchedDocument(
                url=url,
                final_url=str(current),
                data=data,
                content_type=_media_type(headers),
                filename=_filename(headers, current),
            )
        raise InvalidInput(
            f"{url} redirects more than {self._max_redirects} times", details=_refused("too_many_redirects")
        )

    def _request(self, url: httpx.URL, deadline: float) -> httpx.URL | tuple[bytes, httpx.Headers]:
        """One hop: the next URL for a redirect, else the body and the headers."""
        host = url.raw_host.decode("ascii")
        backend = _PinnedBackend(host, self._checked_addresses(url), deadline)
        transport = _PinnedTransport(backend, self._ssl_context)
        with (
            httpx.Client(
                transport=transport,
                headers=self._headers,
                timeout=self._timeout,
                follow_redirects=False,
                trust_env=False,
            ) as client,
            client.stream("GET", url) as response,
        ):
            location = response.headers.get("location")
            if response.status_code in _REDIRECT_STATUSES and location:
                return _parse(urllib.parse.urljoin(str(url), location))
            if response.status_code >= 400:
                raise Unprocessable(
                    f"{url} answered with HTTP status {response.status_code}",
                    details={"status": response.status_code},
                )
            data = self._read(response, url)
            return data, response.headers

    def _checked_addresses(self, url: httpx.URL) -> Sequence[str]:
        """The addresses of the URL's host, or InvalidInput when one of them is off limits."""
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        if _never_resolves(host):
            # RFC 6761: no resolver may answer for .invalid. Asking one that cannot reach the network
            # costs its whole timeout before the reader learns what is certain now.
            raise InvalidInput(
                f"The host name {host} could not be resolved", details=_refused("unknown_host")
            )
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError) as exc:
            if isinstance(exc, socket.gaierror) and exc.errno == socket.EAI_AGAIN:
                raise Unavailable(f"The name {host} could not be resolved right now") from exc
            raise InvalidInput(
                f"The host name {host} could not be resolved", details=_refused("unknown_host")
            ) from exc
        for text in addresses:
            address = ipaddress.ip_address(text)
            if is_forbidden(address) and not any(e.allows(host, address, port) for e in self._allowed):
                raise InvalidInput(
                    f"{host} resolves to {address}, an internal or reserved address that is not allowed; "
                    f"an administrator can allow it with the setting {_ALLOWLIST_SETTING}",
                    details={"host": host, "address": str(address), **_refused("forbidden_address")},
                )
        return addresses

    def _read(self, response: httpx.Response, url: httpx.URL) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(url)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > self._max_bytes:
                raise self._too_large(url)
        if not body:
            raise Unprocessable(f"{url} returned an empty document")
        return bytes(body)

    def _too_large(self, url: httpx.URL) -> TooLarge:
        limit_mb = self._max_bytes / (1024 * 1024)
        return TooLarge(
            f"The document at {url} is larger than {limit_mb:g} MB (setting ingest.url_max_mb)",
            details={"limit_mb": limit_mb},
        )


def _parse(text: str) -> httpx.URL:
    """The URL, or InvalidInput saying why it is none Luna fetches (reason ``invalid_url``)."""
    try:
        return _parsed(text)
    except InvalidInput as refused:
        raise InvalidInput(refused.message, details=_refused("invalid_url")) from refused.__cause__


def _parsed(text: str) -> httpx.URL:
    """A URL Luna may fetch at all (before looking at where its host points)."""
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInput(f"The URL is longer than {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(text)
        url.host  # noqa: B018 - decodes the host: "xn--" that is no IDNA label raises here, not at fetch
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise InvalidInput(f"{text!r} is not a valid URL: {exc}") from exc
    if url.scheme not in ("http", "https"):
        raise InvalidInput(f"Only http and https URLs can be fetched, not {text!r}")
    if not url.host:
        raise InvalidInput(f"The URL {text!r} has no host")
    if url.userinfo:
        raise InvalidInput("URLs with a user name or password (user:password@host) are not accepted")
    if url.port is not None and not 0 < url.port < 65536:
        raise InvalidInput(f"The port of {text!r} is out of range")
    return url


def _media_type(headers: httpx.Headers) -> str | None:
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media or None


def _filename(headers: httpx.Headers, url: httpx.URL) -> str | None:
    """The name from Content-Disposition (RFC 6266, incl. ``filename*``), else the URL's last segment.

    Only the last path component is kept: a server must not be able to name ``../../etc/passwd``.
    """
    name = None
    disposition = headers.get("content-disposition")
    if disposition:
        message = Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
    if not name:
        name = url.path
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    return name or None


def _never_resolves(host: str) -> bool:
    """A name under the reserved top-level domain "invalid", which exists nowhere (RFC 6761)."""
    return host.rstrip(".").lower().rsplit(".", 1)[-1] == "invalid"


def _refused(reason: RefusedUrl) -> dict[str, str]:
    return {REASON_KEY: reason}
