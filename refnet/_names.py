"""Names looked up by the user (activations, commands, options): one message for a name that is
not there, with the nearest one, and a read-only registry that raises it."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

__all__ = ["Registry", "unknown_name"]


def unknown_name(name, known, what: str) -> str:
    """The one message for a name that is not among ``known``: the nearest match, then the
    whole list."""
    known = [str(k) for k in known]
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint} (known: {', '.join(known)})"


class Registry(Mapping):
    """A read-only mapping of names (as ``types.MappingProxyType``) whose missing key is a
    ``KeyError`` saying which names there are and the nearest one (``ACTIVATIONS["sigmod"]``:
    did you mean 'sigmoid'?)."""

    def __init__(self, entries: Mapping, what: str):
        self._entries, self._what = dict(entries), what

    def __getitem__(self, name):
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise KeyError(unknown_name(name, self._entries, self._what)) from None

    def __contains__(self, name) -> bool:
        try:
            return name in self._entries
        except TypeError:
            return False

    def __iter__(self) -> Iterator:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self._what}: {', '.join(self._entries)})"
