"""A bounded in-memory cache of response bodies, least recently used out first.

The release never changes while it is served, so a page or a query result, once computed, stays right
until the server restarts with another release: the same request is answered from memory instead of
rendering the page again or sending the query to a worker. Queries whose answer may differ from run to
run (NOW(), RAND(), UUID(), STRUUID(), BNODE()) are never cached; see ``deterministic``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from .screen import keywords

_VOLATILE = re.compile(r"(?<![\w:?$.-])(NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    body: bytes
    media_type: str
    headers: tuple[tuple[str, str], ...] = ()


class ResponseCache:
    def __init__(self, max_bytes: int, max_entry_bytes: int = 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()

    def get(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        size = len(entry.body)
        if size > self.max_entry_bytes or key in self._entries:
            return
        self._entries[key] = entry
        self.size += size
        while self.size > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self.size -= len(dropped.body)

    def __len__(self) -> int:
        return len(self._entries)


def deterministic(query: str) -> bool:
    """False if the query calls a function whose value changes from one run to the next."""
    return _VOLATILE.search(keywords(query)) is None
