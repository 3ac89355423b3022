"""User text is shown as text, never as markdown or HTML."""

from mcwg_dashboard.ui.text import escape_markdown


def test_markup_is_escaped() -> None:
    assert escape_markdown("**bold** [link](http://x) <b> $x$") == r"\*\*bold\*\* \[link\](http\://x) \<b\> \$x\$"
    assert escape_markdown("plain words: a note.") == "plain words: a note."


def test_line_markup_and_bare_addresses_are_escaped() -> None:
    """Lists, setext headings and GFM autolinks start at a line or in an address, not at a markup character."""
    assert escape_markdown("- a\n  + b\n3. c\nTitle\n===") == "\\- a\n  \\+ b\n3\\. c\nTitle\n\\==="
    assert escape_markdown("see https://evil.example or www.evil.example") == (
        r"see https\://evil.example or www\.evil.example"
    )
    assert escape_markdown("a - b, 1. c") == "a - b, 1. c"
