"""User text shown as text: Streamlit renders markdown, so the characters that make markup are escaped first."""

import re

# Emphasis, code, links and colour directives, headings, tables, strikethrough, LaTeX, raw HTML.
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$])")


def escape_markdown(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)
