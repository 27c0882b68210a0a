"""Checks on free text before it is spoken (pure): what an operator may type into an announcement.

Allowed: letters and accents of any script, digits, spaces and ordinary punctuation (``. , ; : ! ? ' " - ( ) / %
£ € $ & + @ #`` and typographic quotes and dashes). Refused, each with a sentence naming the problem and its
position: empty text, text over the length limit, control and format characters (line breaks, tabs, zero-width
characters), and anything a speech engine would interpret rather than speak: SSML/XML tags, character entities,
and eSpeak's ``[[phoneme]]`` input (so ``< > [ ] { } \\ | ` ^ ~ _ * =`` are refused outright).
"""

from __future__ import annotations

import re
import unicodedata

from drivers.pa.errors import TextRejected

DEFAULT_MAX_CHARS = 400
# typographic quotes, dashes and the ellipsis written as escapes
_PUNCTUATION = set(".,;:!?'\"-()/%£€$&+@#\u2018\u2019\u201c\u201d\u2013\u2014\u2026")
_MARKUP = set("<>[]{}\\|`^~_*=")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z]+);")


def _where(text: str, index: int) -> str:
    return f"at position {index + 1} (after {text[max(0, index - 12) : index]!r})" if index else "at the start"


def check_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The text with runs of spaces collapsed, or :class:`TextRejected` naming the first problem."""
    cleaned = " ".join(text.split(" ")).strip()
    cleaned = re.sub(r" {2,}", " ", cleaned)
    if not cleaned:
        raise TextRejected("the announcement text is empty")
    if len(cleaned) > max_chars:
        raise TextRejected(f"the announcement text is {len(cleaned)} characters long; the limit is {max_chars}")
    for i, ch in enumerate(cleaned):
        category = unicodedata.category(ch)
        if category[0] == "C" or category in ("Zl", "Zp"):
            name = unicodedata.name(ch, "control character")
            raise TextRejected(f"the text holds a control character U+{ord(ch):04X} ({name}) {_where(cleaned, i)}")
        if ch in _MARKUP:
            raise TextRejected(
                f"the text holds {ch!r} {_where(cleaned, i)}: markup and speech-engine commands are not allowed"
            )
        if not (category[0] in "LMN" or ch == " " or ch in _PUNCTUATION):
            raise TextRejected(f"the text holds a character that cannot be spoken, {ch!r}, {_where(cleaned, i)}")
    entity = _ENTITY.search(cleaned)
    if entity:
        raise TextRejected(
            f"the text holds the character entity {entity.group()!r} {_where(cleaned, entity.start())}: "
            "markup is not allowed"
        )
    return cleaned
