"""Where the service may send: no private, loopback, link-local or otherwise internal
address (server-side request forgery), unless ``DELIVERY_ALLOW_PRIVATE_ADDRESSES``.

The host is resolved and *every* address it resolves to is checked, so a name that points
one record at 127.0.0.1 is refused too."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from ..errors import AddressRefused


class Refused(ValueError):
    """The address may not be sent to; the message says why (for the delivery's status)."""


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified or not address.is_global)


def check_url(url: str, allow_private: bool = False) -> None:
    """Refused when ``url`` is not http(s), has no host, or reaches an internal address."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise Refused("not an http(s) address")
    if parts.scheme == "http" and not allow_private:
        raise Refused("only https:// addresses")
    if parts.username or parts.password:
        raise Refused("no user name or password in the address")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise Refused(f"the host {parts.hostname} cannot be resolved") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if _internal(address):
            raise Refused(f"the host {parts.hostname} resolves to an internal address ({address})")


def field_message(exc: Refused) -> str:
    """The per-field message of a refusal (the host's name, which varies, left out)."""
    text = str(exc)
    if "cannot be resolved" in text:
        return "the host cannot be resolved"
    if "internal address" in text:
        return "a private, loopback or link-local address"
    return text


def checked_url(field: str, url: str, allow_private: bool) -> str:
    """``url`` stripped, or ValidationError on ``field`` (for the settings forms and API)."""
    url = (url or "").strip()
    try:
        check_url(url, allow_private)
    except Refused as exc:
        raise AddressRefused(field=field, reason=str(exc), fields={field: [field_message(exc)]}) from None
    return url
