"""Presentation mode for a shared screen: large type, no sidebar, one topic per screen, paged with the keyboard.

Streamlit has no key events, so a tiny script (bundled here, nothing from the internet) listens for the arrow keys,
Page Up / Page Down and Space in the page and clicks the Previous / Next buttons. Tables are drawn as HTML whose
every text is escaped (user text stays text).
"""

from __future__ import annotations

import html
from dataclasses import replace

import streamlit as st

from mcwg_dashboard.reports.screens import NOT_SUBMITTED, ScreenTable

NEXT_KEY = "present_next"
PREVIOUS_KEY = "present_previous"
DENSE_ROWS = 16

_STYLE = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
button[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] {display: none !important;}
.block-container {padding-top: 0.5rem !important; padding-bottom: 0.5rem !important; max-width: 100% !important;}
div[data-testid="stAlertContainer"] {padding: 0.25rem 1rem !important;}
div[data-testid="stVerticalBlock"] {gap: 0.5rem;}
.stMarkdown p, .stCaption p {font-size: 1.5rem;}
h1 {font-size: 2.4rem !important; padding: 0 !important;}
div[data-testid="stMetricValue"] {font-size: 2.8rem !important;}
div[data-testid="stMetricLabel"] p {font-size: 1.5rem !important;}
table.mcwg-screen {border-collapse: collapse; width: 100%; font-size: 1.35rem; line-height: 1.25;}
table.mcwg-screen th {background: #08519C; color: white; text-align: left; padding: 0.3rem 0.5rem;}
table.mcwg-screen td {padding: 0.25rem 0.5rem; border-bottom: 1px solid #ddd; vertical-align: middle;}
table.mcwg-screen.matrix {font-size: 1.15rem;}
table.mcwg-screen.matrix th.member, table.mcwg-screen.matrix td.cell {text-align: center; width: 4.2rem;}
table.mcwg-screen.matrix td.cell {font-size: 1.35rem;}
table.mcwg-screen.dense {font-size: 1.0rem; line-height: 1.15;}
table.mcwg-screen.dense td {padding: 0.1rem 0.5rem;}
table.mcwg-screen.dense td.cell {font-size: 1.1rem;}
table.mcwg-screen.matrix td.missing {background: #F2F2F2; color: #595959; text-align: center;
  writing-mode: vertical-rl; transform: rotate(180deg); font-size: 1.1rem;}
.mcwg-subtitle {font-size: 1.3rem; color: #595959; margin: 0;}
</style>
"""

# Clicks the Next / Previous buttons on the arrow keys, Page Up / Page Down and Space (not while typing in a field).
_KEYS = f"""
<script>
const doc = window.parent.document;
if (window.parent.mcwgPresentKeys) {{ doc.removeEventListener("keydown", window.parent.mcwgPresentKeys); }}
window.parent.mcwgPresentKeys = function (event) {{
  const tag = (event.target && event.target.tagName) || "";
  if (["INPUT", "TEXTAREA", "SELECT"].includes(tag) || (event.target && event.target.isContentEditable)) return;
  let key = null;
  if (["ArrowRight", "PageDown", " "].includes(event.key)) key = "{NEXT_KEY}";
  if (["ArrowLeft", "PageUp"].includes(event.key)) key = "{PREVIOUS_KEY}";
  if (!key) return;
  const button = doc.querySelector(".st-key-" + key + " button");
  if (button) {{ event.preventDefault(); button.click(); }}
}};
doc.addEventListener("keydown", window.parent.mcwgPresentKeys);
</script>
"""


def presentation_style() -> None:
    """Large type, no sidebar, no header bar: the page is the screen."""
    st.markdown(_STYLE, unsafe_allow_html=True)


def keyboard_paging() -> None:
    # Run in the page itself (window.parent is then the page's own window), as the survey page's scripts are:
    # components.html is deprecated.
    st.html(_KEYS, unsafe_allow_javascript=True)


def _text_colour(fill: str) -> str:
    red, green, blue = (int(fill.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return "white" if 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5 else "black"


def table_html(table: ScreenTable) -> str:
    """The screen's table as HTML; a matrix colours each status cell and says "not submitted" once per member."""
    escape = html.escape
    matrix = table.fills is not None
    head = "".join(
        f'<th class="{"member" if matrix and 0 < i < len(table.header) - 1 else ""}">{escape(h)}</th>'
        for i, h in enumerate(table.header)
    )
    body = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, value in enumerate(row):
            if c in table.missing:
                if r == 0:
                    cells.append(f'<td class="missing" rowspan="{len(table.rows)}">{escape(NOT_SUBMITTED)}</td>')
                continue
            fill = table.fills[r][c] if table.fills is not None else None
            style = f' style="background:{fill};color:{_text_colour(fill)}"' if fill else ""
            kind = "cell" if matrix and 0 < c < len(row) - 1 else ""
            cells.append(f'<td class="{kind}"{style}>{escape(value)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    kind = "mcwg-screen matrix" if matrix else "mcwg-screen"
    if len(table.rows) > DENSE_ROWS:  # a long set still fits a 1080-pixel screen
        kind += " dense"
    return f'<table class="{kind}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def show_table(table: ScreenTable, *, limit: int | None = None) -> None:
    """The table under its subtitle; with `limit`, only the first rows (the rest are named in a line below)."""
    if table.subtitle:
        st.html(f'<p class="mcwg-subtitle">{html.escape(table.subtitle)}</p>')
    if not table.rows:
        st.info(table.empty, icon=":material/info:")
        return
    shown = table if limit is None or len(table.rows) <= limit else replace(table, rows=table.rows[:limit])
    st.html(table_html(shown))
    if len(shown.rows) < len(table.rows):
        rest = ", ".join(row[0].split()[0] for row in table.rows[limit:])
        st.html(f'<p class="mcwg-subtitle">And {len(table.rows) - len(shown.rows)} more: {html.escape(rest)}</p>')
