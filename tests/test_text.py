"""User text is shown as text, never as markdown or HTML."""

from mcwg_dashboard.ui.text import escape_markdown


def test_markup_is_escaped() -> None:
    assert escape_markdown("**bold** [link](http://x) <b> $x$") == r"\*\*bold\*\* \[link\](http://x) \<b\> \$x\$"
    assert escape_markdown("plain words: a note.") == "plain words: a note."
