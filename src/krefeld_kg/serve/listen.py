"""The server's listening sockets: bound and listening before the release is loaded, so that a taken port is
told at once and a second server cannot bind the same port while the first one loads.

Connections that arrive while the release loads wait in the socket's backlog until the server processes are
ready, as with a socket handed over by systemd. Every address of the host is bound (both ``::1`` and
``127.0.0.1`` for ``localhost``; all interfaces for ``""``), on one port even when port 0 asks for a free one.
"""

from __future__ import annotations

import errno
import socket

from ..errors import InputError

BACKLOG = 2048  # uvicorn's default


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening TCP sockets for every address of ``host`` on ``port`` (0: one free port for all of them).
    InputError if the host does not resolve or the port cannot be had."""
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
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart must not wait for TIME_WAIT
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)  # IPv4 has a socket of its own
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            sock.listen(BACKLOG)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise InputError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    if not sockets:
        raise InputError(f"cannot listen on {where}: no usable address")
    return sockets


def url(host: str, port: int) -> str:
    """The server's address as a URL: an IPv6 address goes in brackets."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
