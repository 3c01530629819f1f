"""Text from a submission made safe to show: no terminal escapes, no control characters.

Everything the student's code says (its output, its exception messages) passes through
:func:`clean` before it reaches the terminal report or results.json: ANSI/VT escape sequences
(colours, cursor moves, window titles, OSC 8 links) are removed, carriage returns become line
breaks, tabs become spaces, and every other C0/C1 control character and bidirectional override
is dropped.
"""

from __future__ import annotations

import re

# ESC [ ... final byte (CSI), ESC ] ... BEL or ESC \ (OSC), ESC P/X/^/_ ... ESC \ (DCS, SOS, PM, APC),
# and two-character ESC sequences; the same introducers as single C1 characters.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b\]|\x9d).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f]).*?(?:\x1b\\|\x9c|$)"
    r"|\x1b[ -/]*[0-~]?", re.DOTALL)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` without escape sequences or control characters (newlines kept)."""
    text = _ESCAPES.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROLS.sub("", text)


def cut(text: str, limit: int, what: str) -> str:
    """At most ``limit`` characters of ``text``; a longer one ends with a note naming the limit."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {what} cut at {limit:,} characters, the limit of the report]"
