"""Plain-text rules shared by the services (input) and the exports (output); no Streamlit here.

`clean_text` takes out the characters a file format cannot hold: the C0 control characters other than tab,
line feed and carriage return (an .xlsx refuses them, openpyxl's ILLEGAL_CHARACTERS_RE), DEL, the
non-characters U+FFFE/U+FFFF and lone surrogates (no UTF-8 file can hold those). A vertical tab or form feed,
which Word pastes for a manual line or page break, becomes a line break so the text reads the same.
"""

from __future__ import annotations

import re
from typing import Any

_BREAKS = re.compile(r"[\x0b\x0c]")
_UNWRITABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    return _UNWRITABLE.sub("", _BREAKS.sub("\n", text))


def clean_any(value: Any) -> Any:
    """`clean_text` for a string; anything else as it is (for pydantic validators on optional fields)."""
    return clean_text(value) if isinstance(value, str) else value
