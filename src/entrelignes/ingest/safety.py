"""Server-side request forgery guard: where a URL may lead us.

Sources added over the web (or the API) are untrusted: they must never make the server
fetch from its own network (loopback, private, link-local, multicast, reserved ranges), nor
read local files. `check_destination` is the check done before adding such a source; the
fetcher does it again on every request and every redirect hop, and once more when it
connects (`is_public_address` on the address actually dialled), so a DNS answer that changes
between the check and the connection does not get through either.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")


class UnsafeURL(ValueError):
    """The URL leads somewhere we refuse to go; the message says why."""


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses only."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            return is_public_address(embedded)
        if ip in ipaddress.IPv6Network("64:ff9b::/96"):  # NAT64: judge the IPv4 inside
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return bool(ip.is_global) and not (
        ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified
    )


def describe_address(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "an invalid address"
    for attribute, label in (
        ("is_loopback", "loopback"), ("is_link_local", "link-local"), ("is_multicast", "multicast"),
        ("is_unspecified", "unspecified"), ("is_private", "private"), ("is_reserved", "reserved"),
    ):
        if getattr(ip, attribute):
            return f"a {label} address ({ip})"
    return f"a non-public address ({ip})"


def check_scheme_and_host(url: str, allow_private: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of `url`, or UnsafeURL for schemes we never follow."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(f"invalid URL {url!r}: {error}") from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        if not allow_private:
            raise UnsafeURL("local files (file://) are only allowed for sources in the config file")
        return scheme, "", 0
    if scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL(f"scheme {scheme or '(none)'!r} refused: only http and https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL(f"no host in {url!r}")
    return scheme, host, port or (443 if scheme == "https" else 80)


def check_destination(url: str, allow_private: bool = False) -> None:
    """Raise UnsafeURL unless `url` is http(s) and (unless `allow_private`) every address its
    host resolves to is public. file:// passes only with `allow_private`."""
    scheme, host, port = check_scheme_and_host(url, allow_private)
    if allow_private or scheme == "file":
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(f"cannot resolve host {host!r}: {error}") from None
    check_addresses(host, [info[4][0] for info in infos])


def check_addresses(host: str, addresses: list[str]) -> None:
    if not addresses:
        raise UnsafeURL(f"host {host!r} has no address")
    for address in addresses:
        if not is_public_address(address):
            raise UnsafeURL(f"refused: {host} resolves to {describe_address(address)}")
