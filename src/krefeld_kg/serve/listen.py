"""The server's listening sockets: bound and listening before the release is loaded, so that a taken port is
told at once and a second server cannot bind the same port while the first one loads.

Connections that arrive while the release loads wait in the socket's backlog until the server processes are
ready, as with a socket handed over by systemd. Every address of the host is bound (both ``::1`` and
``127.0.0.1`` for ``localhost``; all interfaces for ``""``), on one port even when port 0 asks for a free one.

Several server processes each listen on a socket of their own with SO_REUSEPORT (``shared``, then ``join``),
and the kernel spreads new connections over them by a hash of the client's address. One socket inherited by
all of them was tried first: a burst of connections (eight clients opening keep-alive connections at once)
went all to whichever process woke first in 3 of 5 tries, leaving the other cores idle. SO_REUSEPORT would also
let another server of the same user on the same port join in silently, so the port is first bound without it:
a second ``krefeld-kg serve`` on a port in use is refused as before.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

from ..errors import InputError

BACKLOG = 2048  # uvicorn's default


def bind(host: str, port: int, *, shared: bool = False) -> list[socket.socket]:
    """Listening TCP sockets for every address of ``host`` on ``port`` (0: one free port for all of them);
    ``shared``: with SO_REUSEPORT, for other server processes to ``join``. InputError if the host does not
    resolve or the port cannot be had."""
    where = f"{host}:{port}"
    try:
        found = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise InputError(f"cannot listen on {where}: {exc}") from None
    sockets: list[socket.socket] = []
    seen: set[tuple[int, object]] = set()
    try:
        for family, kind, proto, _, address in found:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            try:
                sock = socket.socket(family, kind, proto)
            except OSError as exc:
                if exc.errno == errno.EAFNOSUPPORT:
                    continue  # e.g. IPv6 switched off: the other addresses still serve
                raise
            sockets.append(sock)
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            if shared:
                # Alone on the port first, without SO_REUSEPORT: what holds it already refuses this bind.
                with socket.socket(family, kind, proto) as probe:
                    _prepare(probe)
                    probe.bind(address)
                    address = probe.getsockname()
            _listen(sock, address, shared)
    except OSError as exc:
        raise _refused(sockets, where, exc) from None
    if not sockets:
        raise InputError(f"cannot listen on {where}: no usable address")
    return sockets


def join(addresses: list[tuple[int, tuple[object, ...]]]) -> list[socket.socket]:
    """Listening sockets on ``addresses`` ((family, address) of sockets ``bind(..., shared=True)`` made), in
    their SO_REUSEPORT group. InputError if one cannot be had."""
    sockets: list[socket.socket] = []
    try:
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            _listen(sock, address, True)
    except OSError as exc:
        raise _refused(sockets, str(addresses), exc) from None
    return sockets


def _listen(sock: socket.socket, address: tuple[Any, ...], shared: bool) -> None:
    _prepare(sock, shared)
    sock.bind(address)
    sock.listen(BACKLOG)


def _refused(sockets: list[socket.socket], where: str, exc: OSError) -> InputError:
    """The error for ``where``, once the sockets made so far are closed."""
    for sock in sockets:
        sock.close()
    return InputError(f"cannot listen on {where}: {exc.strerror or exc}")


def _prepare(sock: socket.socket, shared: bool = False) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart must not wait for TIME_WAIT
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if sock.family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # IPv4 has a socket of its own


def url(host: str, port: int) -> str:
    """The server's address as a URL: an IPv6 address goes in brackets."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
