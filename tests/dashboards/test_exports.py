"""Exports are safe to open: formula-like text is neutralised in CSV and stays text in XLSX."""

from __future__ import annotations

import io
import zipfile

import polars as pl

from dashboards import ui

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain"]


def test_every_formula_start_is_neutralised_in_csv():
    frame = pl.DataFrame({"full_name": HOSTILE, "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0, 7.0]})
    rows = pl.read_csv(io.BytesIO(ui.csv_bytes(frame))).to_dicts()
    names = [r["full_name"] for r in rows]
    assert names[:6] == ["'" + text for text in HOSTILE[:6]] and names[6] == "plain"
    assert [r["value"] for r in rows][1] == -2.0, "numbers are numbers, not text"


def test_xlsx_cells_from_text_are_strings_never_formulas():
    data = ui._xlsx(pl.DataFrame({"title": HOSTILE, "url": ["http://evil.example"] * 7}))
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode()
        names = book.namelist()
    assert "<f>" not in sheet, "no formula cells"
    assert "HYPERLINK" in strings and "@SUM(A1)" in strings, "the text is kept as written"
    assert not any("hyperlinks" in n or "externalLink" in n for n in names) and "<hyperlink" not in sheet
