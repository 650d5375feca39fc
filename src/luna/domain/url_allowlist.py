"""Entries of ``ingest.url_allowlist``: a host name, an IP address or a CIDR, each with an optional port.

``intranet.example`` or ``10.0.0.0/8`` open every port; ``intranet.example:8080``,
``10.0.0.5:8443`` and ``[fd00::5]:8080`` open just that port (an IPv6 address with a port goes in
brackets, as in a URL). One parser for the settings check and the fetcher, so both read an entry alike.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_HOST_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9-]{1,63})*")
_WITH_PORT = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<name>[^:\[\]]+)):(?P<port>\d{1,5})$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class AllowEntry:
    host: str | None = None
    network: Network | None = None
    #: None: every port.
    port: int | None = None

    def allows(self, host: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.host is not None:
            return self.host == host.lower().rstrip(".")
        return self.network is not None and address in self.network


def parse_allow_entry(entry: str) -> AllowEntry:
    """One entry, or ValueError saying what is wrong with it."""
    text = entry.strip().lower().rstrip(".")
    port: int | None = None
    matched = _WITH_PORT.match(text)
    if matched is not None and "/" not in text:
        text = matched["v6"] or matched["name"]
        port = int(matched["port"])
        if not 1 <= port <= 65535:
            raise ValueError(f"{entry!r}: the port must be between 1 and 65535")
    try:
        return AllowEntry(network=ipaddress.ip_network(text, strict=False), port=port)
    except ValueError:
        if not _HOST_NAME.fullmatch(text):
            raise ValueError(
                f"{entry!r} is neither a host name, an IP address nor a CIDR (each with an optional :port)"
            ) from None
        return AllowEntry(host=text, port=port)
