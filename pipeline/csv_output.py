"""CSV as the commands write it: safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A value as CSV text that a spreadsheet will show, never evaluate."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows_as_csv(rows: list[dict[str, Any]]) -> str:
    """UTF-8 CSV with a BOM, so spreadsheets read accented names right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if rows:
        writer.writerow(rows[0].keys())
        for row in rows:
            writer.writerow(safe_cell(v) for v in row.values())
    return "\ufeff" + buffer.getvalue()
