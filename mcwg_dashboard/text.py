"""Plain-text rules shared by the services (input) and the exports (output); no Streamlit here.

`clean_text` takes out the characters a file format cannot hold: the C0 control characters other than tab,
line feed and carriage return (an .xlsx refuses them, openpyxl's ILLEGAL_CHARACTERS_RE), DEL, the
non-characters U+FFFE/U+FFFF and lone surrogates (no UTF-8 file can hold those). A vertical tab or form feed,
which Word pastes for a manual line or page break, becomes a line break so the text reads the same.
"""

from __future__ import annotations

import html
import re
from typing import Any

_BREAKS = re.compile(r"[\x0b\x0c]")
_UNWRITABLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def clean_text(text: str) -> str:
    return _UNWRITABLE.sub("", _BREAKS.sub("\n", text))


def clean_any(value: Any) -> Any:
    """`clean_text` for a string; anything else as it is (for pydantic validators on optional fields)."""
    return clean_text(value) if isinstance(value, str) else value


# Markdown, for text shown by Streamlit or written to a markdown file (the published README). Every character
# that starts markup is backslash-escaped: emphasis, code, links and images, colour directives, headings,
# quotes, tables, strikethrough, LaTeX and raw HTML. At the start of a line also list markers, setext underlines
# and numbered lists. Bare web addresses are broken up (`https\://`, `www\.`), so GitHub-flavoured markdown
# does not turn them into links. Escaped text renders exactly as typed.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")
_LINE_START = re.compile(r"^([ \t]*)([-+=]|\d+[.)])", re.MULTILINE)
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])://|\bwww\.")


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(2)
    return match.group(1) + marker[:-1] + "\\" + marker[-1]


def escape_markdown(text: str) -> str:
    text = _LINE_START.sub(_escape_line_start, _MARKDOWN.sub(r"\\\1", text))
    return _AUTOLINK.sub(lambda match: match.group(0).replace(":", "\\:").replace(".", "\\."), text)


def escape_html(text: object) -> str:
    """Text for Plotly, whose titles, labels and hover texts render a few HTML tags (<a href>, <b>, <span style>,
    <br>...): `&`, `<` and `>` escaped, which Plotly shows back as typed."""
    return html.escape(str(text), quote=False)
