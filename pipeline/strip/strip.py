"""strip_record: decide for every line of ``rec["text"]`` whether it is article or frame.

Order of evidence: rule groups (data, config/rules) -> site template -> thread shape -> article
core. Every removed line is recorded with the rule group or detector that removed it.
"""
from __future__ import annotations

from storydedup.pipeline.records import RejectDocument
from storydedup.pipeline.strip.detectors.boxes import inline_boxes
from storydedup.pipeline.strip.detectors.core import (continued_prose, densest_run, echoed_lines, is_prose, numbered_items, shared_openings,
                             short_runs, teasers, title_runs, wrapped_prose)
from storydedup.pipeline.strip.detectors.headline import dated_header, distant_title, headline, key_words, other_story, title_shaped
from storydedup.pipeline.strip.detectors.sections import find_cut
from storydedup.pipeline.strip.detectors.links import introduced, labelled, link_labels
from storydedup.pipeline.strip.detectors.tables import item_numbers, table_cells
from storydedup.pipeline.strip.detectors.thread import header_evidence
from storydedup.pipeline.strip.lines import BY_AUTHOR, Line, TextLine, is_dateline, split_lines, text_lines
from storydedup.pipeline.strip.rules import INFORMING, RuleSet
from storydedup.pipeline.strip.settings import StripSettings
from storydedup.pipeline.strip.template import template_lines


def strip_record(rec: dict, settings: StripSettings, rules: RuleSet, template: dict, decision=None) -> dict:
    """Strip ``rec["text"]`` in place; returns counters (lines removed per rule/detector, or per
    label and reason when the learned model decided: ``decision`` from ``decide_batch``)."""
    text = rec.get("text")
    if text is None:
        return {}
    # the model's decision needs no detector feature; a page the heuristics read has its Lines already
    lines = split_lines(text) if decision is None or decision.judge == "stacked" else text_lines(text)
    nonempty = [ln for ln in lines if not ln.empty]
    if too_short(nonempty, settings):
        return {"short_passthrough": 1}
    reasons = decision.reasons if decision is not None else classify(lines, rec, settings, rules, template)
    kept = [ln.raw for ln, why in zip(lines, reasons) if why is None]
    out = tidy("\n".join(kept))
    removed = spans(lines, reasons, decision.notes if decision is not None else None)
    counters: dict[str, int] = {}
    for i, why in enumerate(reasons):
        if why and decision is not None:  # by label, and by the rule/detector that agreed (or none)
            for key in (why, f"reason:{decision.notes[i]['rule'] or 'model only'}"):
                counters[key] = counters.get(key, 0) + 1
        elif why:
            counters[why] = counters.get(why, 0) + 1
    note = {"removed": removed, "lines_in": len(nonempty), "by": "model" if decision is not None else "rules"}
    if decision is not None:  # which model judged the page, and the language that chose it
        note.update(model=decision.judge, language=decision.language)
        counters[f"judge:{decision.judge}"] = 1
    rec.setdefault("notes", {})["strip"] = note
    if not out:
        raise RejectDocument("empty after boilerplate stripping",
                             f"{len(nonempty)} lines, all removed ({', '.join(sorted(counters))})")
    rec["text"] = out
    counters["stripped"] = int(out != text.strip())
    return counters


def too_short(nonempty: list[TextLine], s: StripSettings) -> bool:
    """Too little text to tell an article from its frame: left as it is."""
    return len(nonempty) <= 1 or sum(ln.words for ln in nonempty) < s.short_doc_words


def classify(lines: list[Line], rec: dict, s: StripSettings, rules: RuleSet, template: dict) -> list[str | None]:
    """Reason per line (``rule:<group>`` / ``detector:<name>``), None for kept lines."""
    n = len(lines)
    matched = [None if ln.empty else rules.match(ln.text, ln.words, s.disabled_groups) for ln in lines]
    cues = [bool(h and h.action == "cue") for h in matched]
    hints = [bool(h and h.action == "hint") for h in matched]
    table = table_cells(lines)  # their bare numbers are figures, not a widget's vote counts
    # nor are a list article's item numbers, unless each heads a post (numbered comments)
    items = item_numbers(lines, lambda ln: is_prose(ln, s.prose_min_words))
    figures = table | {i for i in items if not heads_post(lines, i, matched)}
    # cues and hints only inform the detectors; they remove nothing themselves
    hits = [None if h and (h.action in INFORMING or (h.action == "thread" and i in figures)) else h
            for i, h in enumerate(matched)]
    is_tpl = template_lines(rec, template, s.template_min_docs, s.template_min_share,
                            s.batch_template_share, s.batch_template_words) \
        if s.use_template else (lambda _line: False)
    tpl = [not ln.empty and ln.words <= s.template_max_words and i not in table and is_tpl(ln.text)
           for i, ln in enumerate(lines)]
    evidence = [s.detect_thread and header_evidence(lines, i, h.action if h else None) for i, h in enumerate(hits)]

    reasons: list[str | None] = [None] * n
    for i, ln in enumerate(lines):
        if hits[i]:
            reasons[i] = f"rule:{hits[i].group}"
        elif tpl[i]:
            reasons[i] = "detector:template"
    extracted = s.trust_extractor and rec.get("notes", {}).get("extract", {}).get("method") == "trafilatura"
    if not s.detect_core and not extracted:
        return reasons

    runs = title_runs(lines)  # lists of headlines, for the cut, the title search and the trailer
    if extracted:  # the comment cut only
        cut, cut_why = find_cut(lines, hits, evidence, cues, hints,
                                lambda: line_scores(lines, hits, evidence, tpl, figures, s), runs, s)
        return [why or (cut_why if i >= cut and not lines[i].empty else None) for i, why in enumerate(reasons)]
    scores = line_scores(lines, hits, evidence, tpl, figures, s)
    cut, cut_why = find_cut(lines, hits, evidence, cues, hints, lambda: scores, runs, s)
    scores = [(i, sc) for i, sc in scores if i < cut]
    boxes = inline_boxes(lines, reasons, evidence, cues, hints, scores, rules.reasons("end"),
                         rules.reasons("end", inline=True))
    scores = [(i, 0.0 if i in boxes else sc) for i, sc in scores]  # the core runs across them
    span = densest_run(scores)
    if span is None:  # no prose at all: keep what the rules left
        return [why or (cut_why if i >= cut else None) for i, why in enumerate(reasons)]
    first, last = span
    for i in boxes:
        reasons[i] = reasons[i] or "detector:box"
    keep = set(range(first, last + 1)) - boxes
    head = article_head(lines, reasons, evidence, first, last, scores, runs, rules, s)
    for i in head:
        reasons[i] = None
    keep |= head
    if brief(lines, s):  # a few lines: what stands above the article is its title block
        keep |= {i for i in range(first) if not reasons[i]}
    keep |= trailer(lines, reasons, evidence, last, runs)
    links = introduced(lines, reasons, runs) | labelled(lines, reasons, link_labels(rules)) \
        if s.detect_link_lists else set()
    for i, ln in enumerate(lines):
        if reasons[i] or ln.empty:
            continue
        if i >= cut:
            reasons[i] = cut_why
        elif i in links and first <= i <= last:
            reasons[i] = "detector:link_list"
        elif i not in keep:
            reasons[i] = "detector:thread" if evidence[i] else "detector:core"
    return reasons


def heads_post(lines: list[Line], i: int, matched: list) -> bool:
    """Is the first non-empty line below ``i`` a post header ("Anna, May 3, 2025 at 2:57 pm")?"""
    j = next((j for j in range(i + 1, len(lines)) if not lines[j].empty), None)
    return j is not None and header_evidence(lines, j, matched[j].action if matched[j] else None)


def brief(lines: list[Line], s: StripSettings) -> bool:
    """Too few lines for a site's frame to show above the article by its shape: the head walk
    would take a second title or an icon's label ("media_play") for chrome."""
    return s.brief(sum(1 for ln in lines if not ln.empty))


def removes_any(lines: list[TextLine], rules: RuleSet, disabled: tuple[str, ...], max_words: int) -> bool:
    """Could a rule remove a line of at most ``max_words`` words (``classify`` then gives some
    line a ``rule:`` reason)? ``disabled``: the settings' disabled groups and those of the
    ``INFORMING`` rules (cues, hints). These come last in the order of strength, so a line a
    removing rule matches is found without them. Never False where ``classify`` finds a rule's
    removal of such a line; may be True where it does not (the article head restores a byline,
    a rule matches a cell)."""
    return any(rules.match(ln.text, ln.words, disabled) for ln in lines if not ln.empty and ln.words <= max_words)


def article_head(lines, reasons, evidence, first: int, last: int, scores, runs: set[int], rules: RuleSet,
                 s: StripSettings) -> set[int]:
    """The lines above the core (``first``..``last``) that belong to the article: the headline
    block right above it, else its own dated header beyond a box of end matter, else a title
    behind unnamed chrome. A walk that ends on a headline sharing no words with the core has
    met the last teaser of a story list: the title is then looked for above that list. Lines
    of ``reasons`` that the walks step over stay removed."""
    # The walks step over single-line chrome (``drop``) and comment links of a post header
    # (``cut``: a cut below the article never reaches them). The site template is a barrier:
    # a headline is never part of it, and what lies beyond it is the site's frame.
    passable = rules.reasons("drop", "cut")
    restorable = rules.reasons("thread")  # bylines a thread rule removed
    head = headline(lines, reasons, evidence, first, s.head_lines, passable, restorable)
    core_words = set().union(*(key_words(ln) for ln in lines[first:last + 1]))
    teaser = {i for i in head if title_shaped(lines[i])}
    if not all(other_story(lines[i], core_words) for i in teaser):
        teaser = set()
    head -= teaser  # the walk ended on the last headline of a story list: the title is above it
    unmarked = [None if i in head else why for i, why in enumerate(reasons)]  # the walks read head lines as kept
    if not any(is_dateline(lines[i]) for i in head):
        prose = {i for i, sc in scores if sc > 0}
        header = dated_header(lines, unmarked, evidence, first, head, prose, core_words, passable,
                              rules.reasons("end", "cut"), runs)
        if header:
            return head | header
    if not any(title_shaped(lines[i]) for i in head):
        title = distant_title(lines, unmarked, evidence, min(head | {first}), passable, runs,
                              core_words=core_words if teaser else None)
        return head | ({title} if title is not None else teaser)
    return head


def line_scores(lines, hits, evidence, tpl, table, s: StripSettings) -> list[tuple[int, float]]:
    """Core-detector score of every non-empty line: prose earns its words, the rest costs."""
    scores = []
    wrapped = wrapped_prose(lines, s.prose_min_words) | continued_prose(lines)
    listed = numbered_items(lines)
    echoed = echoed_lines(lines) | teasers(lines) | shared_openings(lines)
    listing = short_runs(lines)
    for i, ln in enumerate(lines):
        if ln.empty:
            continue
        action = hits[i].action if hits[i] else None
        if action in ("end", "cut"):
            scores.append((i, -s.end_line_cost))
        elif evidence[i]:
            scores.append((i, -s.thread_line_cost))
        elif tpl[i] or action:
            scores.append((i, -2 * s.short_line_cost))
        elif i in table:  # the article's figures or a sidebar's: neither prose nor chrome
            scores.append((i, 0.0))
        elif i in echoed:  # gallery captions, repeated, cut-off or wire-list teasers: cost what prose earns
            scores.append((i, -float(ln.words)))
        elif i in wrapped or (is_prose(ln, s.prose_min_words) and i not in listing):
            scores.append((i, float(ln.words)))
        elif i in listed:  # items of a numbered list: part of the text, worth less than prose
            scores.append((i, s.list_item_weight * ln.words))
        else:
            scores.append((i, -s.short_line_cost))
    return scores


def trailer(lines, reasons, evidence, last: int, runs: set[int] = frozenset(), limit: int = 3) -> set[int]:
    """Short closing sentences ("As one does.") or a signature ("by Dawn Camp, who ...") right
    below the core, a heading that ends the text (a scrape cut at the next section keeps its
    title), and the list that the core's last line (or a closing line) announces with a colon
    ("Ingredients for 4 portions:")."""
    taken: set[int] = set()
    final = max((i for i, ln in enumerate(lines) if not ln.empty), default=-1)
    for i in range(last, len(lines)):
        ln = lines[i]
        if ln.empty:
            continue
        heading = i == final and ln.words >= 3
        signed = BY_AUTHOR.match(ln.text) is not None
        if i > last and (reasons[i] or evidence[i] or len(taken) >= limit
                         or not (ln.ends_sentence or heading or signed) or ln.words < 2 or ln.namelike):
            break
        if i > last:
            taken.add(i)
        if ln.text.endswith(":") and ln.words >= 3:
            return taken | announced_list(lines, reasons, evidence, i, runs)
    return taken


def announced_list(lines, reasons, evidence, last: int, runs: set[int], max_words: int = 15,
                   limit: int = 60) -> set[int]:
    """Short items right below a line ending in a colon, up to the first removed line, thread
    evidence, longer line or run of headlines (``runs``: "More stories:" announces links, not
    the article's own list of ingredients or specifications)."""
    taken: set[int] = set()
    for ln in lines[last + 1:]:
        if ln.empty:
            continue
        headline = ln.index in runs and ln.text[:1].isupper()  # items start lower case or with a count
        if reasons[ln.index] or evidence[ln.index] or headline or ln.words > max_words \
                or len(taken) >= limit:
            break
        taken.add(ln.index)
    return taken


def tidy(text: str) -> str:
    """Collapse the blank-line gaps removals leave behind (at most one empty line in a row)."""
    out, blank = [], False
    for line in text.strip().split("\n"):
        if not line.strip():
            if not blank:
                out.append("")
            blank = True
        else:
            out.append(line)
            blank = False
    return "\n".join(out)


def spans(lines: list[TextLine], reasons: list[str | None], notes: dict | None = None) -> list[dict]:
    """Removed lines grouped into runs with one reason: ``{"lines": [a, b], "by", "text"}``; a
    model's run also has the highest ``score``, the ``why`` (strongest features) of its first
    line and the ``rules`` (rule groups / detectors) that agreed on some of its lines."""
    out: list[dict] = []
    for ln, why in zip(lines, reasons):
        if why is None:
            continue
        note = notes.get(ln.index) if notes else None
        if out and out[-1]["by"] == why and out[-1]["lines"][1] >= ln.index - 2:
            out[-1]["lines"][1] = ln.index
            out[-1]["text"].append(ln.text)
        else:
            out.append({"lines": [ln.index, ln.index], "by": why, "text": [ln.text]})
            if note:
                out[-1].update(score=note["score"], why=note["why"], rules=[])
        if note:
            out[-1]["score"] = max(out[-1]["score"], note["score"])
            if note["rule"] and note["rule"] not in out[-1]["rules"]:
                out[-1]["rules"].append(note["rule"])
    for span in out:  # joined once: appending to a string per line is quadratic on long spans
        span["text"] = "\n".join(span["text"])
    return out
