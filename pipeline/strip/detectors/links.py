"""Links to other stories set inside the article text: a run of headlines or a small box of
titles that a chrome label ("Read more", "Related") introduces."""
from __future__ import annotations

from storydedup.pipeline.strip.rules import RuleSet


def link_labels(rules: RuleSet) -> frozenset[str]:
    """Removal reasons of labels over links to other stories: the ``related*`` rule groups."""
    return frozenset(f"rule:{r.group}" for r in rules.rules if r.group.startswith("related"))


def labelled(lines, reasons, labels: frozenset[str], limit: int = 2) -> set[int]:
    """Up to ``limit`` headlines right below a ``labels`` line inside the text ("Related
    links" over one or two story titles, dated or not): a box of links set between paragraphs."""
    out: set[int] = set()
    prev, taking = None, 0
    for ln in lines:
        if ln.empty:
            continue
        if prev is not None and reasons[prev] in labels:
            taking = limit
        if reasons[ln.index] is None and taking and 3 <= ln.words <= 20 and not ln.text.endswith((".", ":")):
            out.add(ln.index)
            taking -= 1
        elif reasons[ln.index] is None:
            taking = 0
        prev = ln.index
    return out


def introduced(lines, reasons, run_lines: set[int]) -> set[int]:
    """The runs among ``run_lines`` whose first line follows a removed chrome line ("Read
    more", "See also:"): a list that a label introduces is a widget, one that prose
    introduces belongs to the article."""
    out: set[int] = set()
    prev, keep_run = None, False
    for ln in lines:
        if ln.empty:
            continue
        if ln.index in run_lines:
            if prev is None or prev not in run_lines:
                keep_run = prev is not None and reasons[prev] is not None and reasons[prev].startswith("rule:")
            if keep_run:
                out.add(ln.index)
        prev = ln.index
    return out
