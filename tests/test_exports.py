"""Downloads: formula-trigger text stays text in CSV and Excel."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from mcwg_dashboard.exports import csv_bytes, neutralise, xlsx_bytes

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
