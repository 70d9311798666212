"""Bare numbers that are not a comment widget's counts: table cells and list item numbers.

Bare numbers are otherwise read as the vote counts of a comment widget. A data table that a
scrape printed one cell per line (poll results, scores, prices) has rows of a short label
followed by the same number of numeric cells as every other row ("Men / 33 / 42 / 14"): a
thread never repeats label-and-numbers rows without any text between them. A list article
numbers its items ("10", a name, a paragraph, "9", ...): bare numbers counting up or down by
one with prose between each two, which consecutive posts' vote counts do not do.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from storydedup.pipeline.strip.lines import Line

NUMBER = re.compile(r"[-+−]?\d[\d.,]*\s*%?")
ITEM_NUMBER = re.compile(r"[^\w]{0,3}(\d{1,4})[^\w]{0,3}")  # "9", "[3]", "4."


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


def item_numbers(lines: list[Line], prose: Callable[[Line], bool], min_run: int = 3) -> set[int]:
    """Lines holding only a number that belong to a run of ``min_run`` or more such lines, in
    order, counting up or down by one, with a ``prose`` line between each two."""
    found = [(ln.index, int(m.group(1))) for ln in lines if not ln.empty and (m := ITEM_NUMBER.fullmatch(ln.text))]
    runs, run = [], found[:1]
    for prev, cur in zip(found, found[1:]):
        step = cur[1] - prev[1]
        linked = step in (1, -1) and any(prose(lines[i]) for i in range(prev[0] + 1, cur[0]))
        if linked and (len(run) < 2 or step == run[-1][1] - run[-2][1]):
            run.append(cur)
        else:  # a gap, or a turn (10, 9, 10): the number before may open the next run
            runs.append(run)
            run = [prev, cur] if linked else [cur]
    runs.append(run)
    return {i for r in runs if len(r) >= min_run for i, _ in r}
