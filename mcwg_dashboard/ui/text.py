"""User text shown as text: Streamlit renders markdown, so the characters that make markup are escaped first.

The rule lives in mcwg_dashboard/text.py, shared with the published README; views import it from here.
"""

from mcwg_dashboard.text import escape_markdown

__all__ = ["escape_markdown"]
