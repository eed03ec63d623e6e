"""How the server talks to the processes it starts (query workers, other server processes): length-prefixed
pickles over their stdin and stdout, and the environment they start with. Standard library only: a query
worker imports this and must start fast."""

from __future__ import annotations

import os
import pickle
import struct
import sys
from typing import IO, Any

from ..defaults import PASSWORD_ENV, TOKEN_ENV

HEADER = struct.Struct(">I")  # the length of the pickle that follows


def frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def write_frame(stream: IO[bytes], message: object) -> None:
    stream.write(frame(message))
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any:
    """The next message, or None once the stream has ended."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    return pickle.loads(stream.read(size))


def environment(*, credentials: bool) -> dict[str, str]:
    """This process's environment for a child: it finds the package the way this process did (also from a
    source tree); the store credentials only if ``credentials`` (a query worker has no use for them)."""
    hidden = () if credentials else (PASSWORD_ENV, TOKEN_ENV)
    return {
        **{name: value for name, value in os.environ.items() if name not in hidden},
        "PYTHONPATH": os.pathsep.join(path for path in sys.path if path),
    }
