"""Data tables that a scrape printed one cell per line: poll results, scores, prices.

A row is a short label followed by the same number of numeric cells as every other row
("Men / 33 / 42 / 14"). Bare numbers are otherwise read as the vote counts of a comment widget;
in a table they are the article's figures. A thread never repeats label-and-numbers rows
without any text between them.
"""
from __future__ import annotations

import re

from storydedup.pipeline.strip.lines import Line

NUMBER = re.compile(r"[-+−]?\d[\d.,]*\s*%?")


def is_number(ln: Line) -> bool:
    return bool(NUMBER.fullmatch(ln.text))


def table_cells(lines: list[Line], min_rows: int = 3, min_cells: int = 2, max_label_words: int = 6) -> set[int]:
    """Lines of tables with ``min_rows`` or more consecutive rows of one label line and
    ``min_cells`` or more numeric lines, every row with the same number of cells; the header
    line(s) right above the first row (as many as a row has cells, or fewer) belong to it."""
    nonempty = [ln for ln in lines if not ln.empty]
    rows: list[tuple[int, int]] = []  # (position of the label among non-empty lines, cells)
    pos = 0
    while pos < len(nonempty):
        ln = nonempty[pos]
        cells = 0
        while pos + 1 + cells < len(nonempty) and is_number(nonempty[pos + 1 + cells]):
            cells += 1
        if not is_number(ln) and ln.words <= max_label_words and cells >= min_cells:
            rows.append((pos, cells))
            pos += 1 + cells
        else:
            pos += 1
    out: set[int] = set()
    start = 0
    for k in range(1, len(rows) + 1):
        joined = k < len(rows) and rows[k][1] == rows[k - 1][1] and rows[k][0] == rows[k - 1][0] + 1 + rows[k - 1][1]
        if joined:
            continue
        block = rows[start:k]
        if len(block) >= min_rows:
            first, cells = block[0]
            last = block[-1][0] + cells
            header = first
            while header > 0 and first - header < cells and nonempty[header - 1].words <= max_label_words \
                    and not is_number(nonempty[header - 1]):
                header -= 1
            out.update(ln.index for ln in nonempty[header:last + 1])
        start = k
    return out
