"""Where the server may send webhooks: public addresses only, unless the operator allows more.

A webhook makes the server open a connection to an address a party chose. Left unchecked, a party
could point it at the server's own loopback ports, the private network behind it or a cloud metadata
service, and read what answered there from `last_error` (server-side request forgery). So:

- At creation (`check_url`): an absolute http(s) URL, port 1–65535, no control characters, spaces or
  credentials; the host is resolved and every address must be allowed. A name that does not resolve
  yet is accepted: what counts is the check at connect time.
- At connect time (`PinnedPost`): the host is resolved again, every address must be allowed, and the
  connection goes to the address that was checked (the URL's host travels in `Host` and TLS SNI, and
  the certificate is verified against it), so a name that resolves elsewhere a moment later (DNS
  rebinding) gains nothing.
- Allowed: globally routable unicast addresses (`ipaddress.is_global`), less the metadata and special
  ranges below; IPv4 inside IPv6 (mapped, NAT64, 6to4, Teredo) is judged by its IPv4 address. The
  operator may allow private receivers by network (`serve --webhook-allow 10.1.2.0/24`, or
  `DECONFLICTION_WEBHOOK_ALLOW=10.1.2.0/24,127.0.0.1/32`).
- What the party sees of a failed attempt is generic (`public_error`); the details go to the log.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import Callable, Iterable
from urllib.parse import urlsplit

from ..errors import InvalidInput

log = logging.getLogger(__name__)

ENV_ALLOW = "DECONFLICTION_WEBHOOK_ALLOW"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

# Never a receiver unless allowed by the operator, although `is_global` says yes in some Python versions.
DENIED = tuple(ipaddress.ip_network(n) for n in (
    "169.254.169.254/32", "100.100.100.200/32", "192.0.0.0/24",  # cloud metadata (AWS/GCP/Azure, Alibaba, Oracle)
    "fd00:ec2::254/128",  # AWS metadata over IPv6
    "224.0.0.0/4", "ff00::/8",  # multicast
    "0.0.0.0/8", "240.0.0.0/4", "198.18.0.0/15", "100.64.0.0/10",
))


class AddressRefused(Exception):
    """The receiver's address is not one the server may connect to."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the name resolves to (literal addresses resolve to themselves)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def _embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64: the last 32 bits are the IPv4 address
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class EgressPolicy:
    """Public addresses, and any in `allow` (the operator's private receivers)."""

    allow: tuple[Network, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def parse(cls, networks: Iterable[str], resolver: Resolver = system_resolver) -> "EgressPolicy":
        allowed = []
        for text in networks:
            try:
                allowed.append(ipaddress.ip_network(text.strip(), strict=False))
            except ValueError:
                raise InvalidInput(f"{text!r} is not an IP network (e.g. 10.1.2.0/24 or 127.0.0.1/32)", field="webhook_allow") from None
        return cls(allow=tuple(allowed), resolver=resolver)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "EgressPolicy":
        env = os.environ if environ is None else environ
        return cls.parse([n for n in (env.get(ENV_ALLOW) or "").split(",") if n.strip()])

    def allows(self, address: Address) -> bool:
        if any(address in network for network in self.allow if network.version == address.version):
            return True
        inner = _embedded_ipv4(address)
        if inner is not None:
            return self.allows(inner)
        return address.is_global and not any(address in n for n in DENIED if n.version == address.version)

    def checked_addresses(self, host: str, port: int) -> list[Address]:
        """The host's addresses, all of them allowed; AddressRefused otherwise (also when it does not resolve)."""
        try:
            found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolver(host, port)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise AddressRefused(f"{host} does not resolve: {exc}") from None
        if not found:
            raise AddressRefused(f"{host} does not resolve")
        refused = [str(a) for a in found if not self.allows(a)]
        if refused:
            raise AddressRefused(f"{host} resolves to {', '.join(refused)}, which is not a public address")
        return found


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # without brackets
    port: int
    path: str  # path and query, at least "/"

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"

    def url_to(self, address: Address) -> str:
        shown = f"[{address}]" if address.version == 6 else str(address)
        return f"{self.scheme}://{shown}:{self.port}{self.path}"


def parse_url(url: str) -> Target:
    """The URL's parts; InvalidInput naming `url` when it is not an absolute http(s) URL a server should call."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise InvalidInput("the URL contains a space or a control character (CR, LF, tab…)", field="url")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("expected an absolute http(s) URL", field="url")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("the URL may not carry credentials (user:password@); the signature authenticates the server", field="url")
    try:
        port = parts.port
    except ValueError:
        raise InvalidInput("the port must be a number from 1 to 65535", field="url") from None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if not 1 <= port <= 65535:
        raise InvalidInput("the port must be a number from 1 to 65535", field="url")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path)


def check_url(url: str, policy: EgressPolicy) -> Target:
    """At creation: the URL is well formed and the host, if it resolves now, only to allowed addresses."""
    target = parse_url(url)
    try:
        policy.checked_addresses(target.host, target.port)
    except AddressRefused as exc:
        if "does not resolve" not in str(exc):
            raise InvalidInput(
                f"{exc}; webhooks go to public addresses (an operator may allow private receivers: serve --webhook-allow)", field="url"
            ) from None
    return target


def public_error(failure: BaseException) -> str:
    """What a party may read of a failed attempt: the kind of failure, not what answered where."""
    if isinstance(failure, AddressRefused):
        return "refused: the receiver's address is not a public one"
    if isinstance(failure, InvalidInput):
        return "refused: the webhook's URL is not valid"
    return "no answer from the receiver (connection, TLS or timeout); details are in the server's log"


class PinnedPost:
    """The webhook transport: resolve, check every address, connect to the checked one (see above)."""

    def __init__(self, policy: EgressPolicy) -> None:
        import httpx

        self.policy = policy
        self._client = httpx.Client(follow_redirects=False, headers={"User-Agent": "deconfliction-webhooks/1"})

    def __call__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        target = parse_url(url)
        address = self.policy.checked_addresses(target.host, target.port)[0]
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        reply = self._client.post(
            target.url_to(address), content=body, headers={**headers, "Host": target.host_header}, timeout=timeout, extensions=extensions
        )
        return reply.status_code

    def close(self) -> None:
        self._client.close()
