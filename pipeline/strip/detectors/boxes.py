"""Boxes of end matter set into the article: a newsletter sign-up or a "Read more" list
between two of its paragraphs.

An end-matter rule line stops the core, which is right at the end of the article and wrong in
its middle. A box is a few short lines around an ``inline`` end-matter line (a rule group
setting); when the article's text stands right above it and text about the same subject
resumes right below it, the box is taken out and the core may run across it.
"""
from __future__ import annotations

from collections import Counter

from storydedup.pipeline.strip.lines import BY_AUTHOR, WORD, is_dateline
from storydedup.pipeline.strip.detectors.core import LONG_LINE
from storydedup.pipeline.strip.detectors.headline import about, key_words, title_shaped

# A box holds at most this many non-empty lines, none longer than BOX_WORDS words.
BOX_LINES = 8
BOX_WORDS = 20
# The text below a box must have this many prose words and share this much of its
# vocabulary (and at least MIN_SHARED_WORDS words) with the text above to continue it.
MIN_RESUME_WORDS = 30
MIN_SHARED = 0.05
MIN_SHARED_WORDS = 2


def inline_boxes(lines, reasons, evidence, cues, hints, scores, ends, inline) -> set[int]:
    """Lines of the boxes of ``inline`` end matter that split the article (``scores``: the
    core scores of the lines above the comment cut): prose runs right above and right below
    the box, and the one below ``resumes`` the one above. A box with other ``ends`` (a
    footer, an author bio) or thread evidence stays a barrier."""
    order = [i for i, _ in scores]
    pos = {i: k for k, i in enumerate(order)}
    score = dict(scores)
    run_from = runs_from(scores)
    out: set[int] = set()
    for k, i in enumerate(order):
        if reasons[i] not in inline or i in out:
            continue
        box = extent(lines, reasons, score, order, k)
        if any(evidence[j] or (reasons[j] in ends and reasons[j] not in inline) for j in box):
            continue
        top, bottom = pos[min(box)], pos[max(box)]
        if top == 0 or bottom == len(order) - 1:
            continue
        above, below = run_from(top - 1, -1), run_from(bottom + 1, 1)
        if above is not None and below is not None and resumes(lines, reasons, cues, hints, box, above, below):
            out.update(box)
    return out


def resumes(lines, reasons, cues, hints, box: set[int], above: tuple[int, int], below: tuple[int, int]) -> bool:
    """Whether the run ``below`` the box is more of the text ``above`` it. Not when it has a
    reply cue (``cues``) or opens like a reply (``hints``: "Great overview!"), names the
    byline's author (a bio), is a list of headlines with ledes, or shares little with the text."""
    if any(cues[j] for j in run_lines(lines, below)) or hints[below[0]]:
        return False
    if story_list(lines, reasons, box, below) or authors(lines, min(box)) & set(WORD.findall(lines[below[0]].text)):
        return False
    said = Counter(w for j in range(above[0], above[1] + 1) for w in words_of(lines[j]))
    return continues(lines, below, said)


def runs_from(scores):
    """``run(k, step)``: the best-scoring run of lines that starts at ``scores[k]`` and goes on
    by ``step`` (+1 down, -1 up) as ``(first, last)`` line indices, or None if no such run
    scores above zero; the earliest end wins a tie. Prefix sums answer every box in constant
    time (a scan per box was quadratic on long documents full of boxes)."""
    n = len(scores)
    pre = [0.0]
    for _, sc in scores:
        pre.append(pre[-1] + sc)
    down: list[int | None] = [None] * n  # end of the best run going down from k
    best, arg = float("-inf"), -1
    for m in range(n - 1, -1, -1):
        if pre[m + 1] >= best:
            best, arg = pre[m + 1], m
        down[m] = arg if best - pre[m] > 0 else None
    up: list[int | None] = [None] * n  # end of the best run going up from k
    low, arg = float("inf"), -1
    for m in range(n):
        if pre[m] <= low:
            low, arg = pre[m], m
        up[m] = arg if pre[m + 1] - low > 0 else None

    def run(k: int, step: int) -> tuple[int, int] | None:
        end = down[k] if step == 1 else up[k]
        if end is None:
            return None
        return (scores[k][0], scores[end][0]) if step == 1 else (scores[end][0], scores[k][0])
    return run


def extent(lines, reasons, score, order: list[int], k: int) -> set[int]:
    """The box around the named line ``order[k]``: the named lines above it and one short
    heading over them ("Get the morning briefing"); below it named lines and short lines that
    are not prose (or a short sentence that a named line follows closely, the box's blurb),
    up to ``BOX_LINES``. A title below that shares its words with the text under it, and is
    not one of several headlines in a row, is the article's own heading and ends the box."""
    up = k
    while up > 0 and reasons[order[up - 1]] and k - up < BOX_LINES:
        up -= 1
    if up > 0:
        head = lines[order[up - 1]]
        if not reasons[head.index] and not head.bullet and head.words <= BOX_WORDS and score[head.index] <= 0:
            up -= 1
    box = set(order[up:k + 1])
    for down in range(k + 1, len(order)):
        j = order[down]
        ln = lines[j]
        if len(box) >= BOX_LINES:
            break
        if reasons[j]:
            box.add(j)
            continue
        if ln.words > BOX_WORDS or ln.bullet or (score[j] > 0 and not any(reasons[x] for x in order[down + 1:down + 3])):
            break
        listed = unnamed_headline(lines, reasons, order[down - 1])
        if unnamed_headline(lines, reasons, j) and not listed and down + 1 < len(order) \
                and about(ln, key_words(lines[order[down + 1]])):
            break
        box.add(j)
    return box


def authors(lines, top: int) -> set[str]:
    """Capitalised names of the bylines above line ``top`` ("By Nora Quill | May 4" -> Nora, Quill)."""
    names: set[str] = set()
    for ln in lines[:top]:
        if is_dateline(ln) and BY_AUTHOR.match(ln.text):
            names.update(w for w in WORD.findall(BY_AUTHOR.sub("", ln.text, count=1)) if len(w) > 2 and w[0].isupper())
    return names


def words_of(ln) -> set[str]:
    return key_words(ln, frequent=False) if not ln.empty else set()


def unnamed_headline(lines, reasons, j: int) -> bool:
    return not lines[j].empty and not reasons[j] and title_shaped(lines[j], names=True)


def run_lines(lines, run: tuple[int, int]) -> list[int]:
    """Indices of the non-empty lines of ``run`` (``(first, last)``)."""
    return [j for j in range(run[0], run[1] + 1) if not lines[j].empty]


def story_list(lines, reasons, box: set[int], run: tuple[int, int]) -> bool:
    """Whether the text below the box is a list of other stories: two or more headlines
    (counting those in the box), each in the text followed by a single paragraph, its lede.
    (A box of links has headlines only; an article's sections run to several paragraphs.)"""
    text = run_lines(lines, run)
    heads = [k for k, j in enumerate(text) if unnamed_headline(lines, reasons, j)]
    if not heads or len(heads) + sum(unnamed_headline(lines, reasons, j) for j in box) < 2:
        return False
    ends = heads[1:] + [len(text)]
    return all(nxt - k == 2 for k, nxt in zip(heads, ends))


def continues(lines, run: tuple[int, int], said: Counter) -> bool:
    """Whether the run below a box is more of the article: enough prose words with a
    paragraph among them (advertising copy comes in short lines), and a share of its
    vocabulary ``said`` above (an author bio or another story has little)."""
    text = [lines[j] for j in run_lines(lines, run)]
    words = set().union(*(words_of(ln) for ln in text))
    shared = sum(w in said for w in words)
    return sum(ln.words for ln in text) >= MIN_RESUME_WORDS and any(ln.words >= LONG_LINE for ln in text) \
        and shared >= max(MIN_SHARED_WORDS, MIN_SHARED * len(words))
