"""Downloads: formula-trigger text stays text in CSV and Excel."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from mcwg_dashboard.exports import (
    ChartExportUnavailable,
    chromium_available,
    csv_bytes,
    neutralise,
    png_bytes,
    xlsx_bytes,
)

TRIGGERS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR"]


@pytest.mark.parametrize("text", TRIGGERS)
def test_formula_triggers_are_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("plain text") == "plain text"
    assert neutralise(3) == 3


def test_csv_and_excel_keep_user_text_as_text() -> None:
    frame = pd.DataFrame({"note": TRIGGERS, "n": range(len(TRIGGERS))})
    csv = csv_bytes(frame).decode("utf-8-sig")
    assert "'=1+1" in csv
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame)))
    sheet = book.active
    assert sheet is not None
    values = [sheet.cell(row=i + 2, column=1) for i in range(len(TRIGGERS))]
    assert all(cell.data_type == "s" for cell in values)
    assert values[0].value == "'=1+1"
    assert sheet.cell(row=2, column=2).value == 0


@pytest.mark.skipif(not chromium_available(), reason="PNG export needs Chromium (apt-get install chromium)")
def test_png_export_makes_a_png() -> None:
    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    assert png_bytes(figure, width=400, height=300).startswith(b"\x89PNG")


def test_png_export_without_chromium_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("mcwg_dashboard.exports.chromium_available", lambda: False)
    with pytest.raises(ChartExportUnavailable, match="apt-get install chromium"):
        png_bytes(go.Figure())


@pytest.mark.skipif(not chromium_available(), reason="PNG export needs Chromium (apt-get install chromium)")
def test_png_batch_works_where_an_event_loop_already_runs() -> None:
    """As under Playwright's sync API or in a notebook: asyncio.run() alone would refuse."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from mcwg_dashboard.exports import png_batch

    figure = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))

    async def from_inside_a_loop() -> list[bytes]:
        return png_batch([(figure, 300, 200)])

    # The outer loop runs in a thread of its own: this test process may already run one (Playwright's).
    with ThreadPoolExecutor(max_workers=1) as pool:
        images = pool.submit(asyncio.run, from_inside_a_loop()).result()
    assert len(images) == 1 and images[0].startswith(b"\x89PNG")


def test_text_is_made_safe_alike_in_arrow_and_python_columns() -> None:
    from mcwg_dashboard.exports import FORMULA_TRIGGERS, SEPARATORS, safe_frame

    cases = [f"{t}x" for t in FORMULA_TRIGGERS] + [
        f"a{sep}{space}{t}b" for sep in SEPARATORS for space in ("", " ", ' "') for t in FORMULA_TRIGGERS
    ]
    cases += ["plain", "a, b", "a\x01b", "a\x0bb", "x\uffffy"]
    cases.append(None)  # type: ignore[arg-type]
    arrow = safe_frame(pd.DataFrame({"c": pd.Series(cases, dtype="str")}))["c"]
    python = safe_frame(pd.DataFrame({"c": pd.Series(cases, dtype=object)}))["c"]
    assert arrow.fillna("<none>").tolist() == python.fillna("<none>").tolist()
    assert python.tolist()[: len(FORMULA_TRIGGERS)] == [f"'{t}x" for t in FORMULA_TRIGGERS]
    assert python.tolist()[-6:-1] == ["plain", "a, b", "ab", "a\nb", "xy"]


def test_workbooks_are_written_in_slices_with_times_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcwg_dashboard import exports

    monkeypatch.setattr(exports, "ROWS_PER_SLICE", 3)
    stamps = [None, None, None, dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC), None, dt.datetime(2026, 1, 2, 3, 4)]
    frame = pd.DataFrame({"n": range(6), "at": pd.Series(stamps, dtype=object), "day": [dt.date(2026, 5, 6)] * 6})
    book = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(frame)))
    rows = list(book["data"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == list(range(6))
    assert [row[1] for row in rows] == [
        None,
        None,
        None,
        dt.datetime(2026, 3, 4, 5, 6, 7),
        None,
        dt.datetime(2026, 1, 2, 3, 4),
    ]
    assert book["data"]["B5"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert all(row[2] == dt.datetime(2026, 5, 6) for row in rows) and book["data"]["C2"].number_format == "yyyy-mm-dd"
