"""Text that can be stored and written out: lone surrogates (from JSON escapes or undecodable argv) replaced."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD.

    A lone surrogate cannot be encoded as UTF-8, so SQLite, JSON output and the terminal would each fail on it.
    """
    return _SURROGATE.sub("\ufffd", text)
