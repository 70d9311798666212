"""Where the reader-comment section starts: the first comment-section marker (a ``cut`` rule
line), thread of post headers or cluster of reply cues with an article core above it.

Markers in the page header (a "12 comments" link beside the byline, a "Comments" tab above
the title) do not cut the article that follows them.
"""
from __future__ import annotations

from storydedup.pipeline.strip.lines import BY_AUTHOR, nonempty_above, nonempty_below
from storydedup.pipeline.strip.settings import StripSettings
from storydedup.pipeline.strip.detectors.core import best_before, densest_run
from storydedup.pipeline.strip.detectors.headline import title_shaped
from storydedup.pipeline.strip.detectors.thread import reply_starts, thread_starts

# Core score of a short article: enough above a comment-section marker that is certain.
SHORT_ARTICLE = 20.0


def find_cut(lines, hits, evidence, cues, hints, score_lines, runs: set[int], s: StripSettings) -> tuple[int, str | None]:
    """Where the reader-comment section starts: the first ``cut`` rule line or thread-shaped
    run of post headers with an article core (``min_core_words``) above it (``runs``: the
    document's runs of headlines, from ``title_runs``). Markers above
    the article (a "Comments" tab, a list of dated teasers) do not cut it, nor does a marker
    wording that is one headline among others in a list of post titles ("Read comments on
    mobile Web" under "Recent posts"; a counter such as "{ 4 comments }" is a marker anywhere).
    ``score_lines()`` gives the core detector's line scores; it is called only when some line
    may start the section (most extracted articles have none)."""
    threads = list(thread_starts(lines, evidence)) if s.detect_thread else []
    replies = list(reply_starts(lines, cues, hints)) if s.detect_thread else []
    listed = {i for i in runs if not any(ch.isdigit() for ch in lines[i].text)}
    marked = [i for i, h in enumerate(hits) if h and h.action == "cut" and i not in listed]
    if not (marked or threads or replies):
        return len(lines), None
    scores = score_lines()
    before = best_before(scores, len(lines))
    candidates = [(i, f"rule:{hits[i].group}", label_need(lines, i, hits[i].min_core, threads, s)) for i in marked
                  if not (hits[i].min_core is None and heads_article(lines, scores, i, before[i]))]
    if s.detect_thread:
        markers = {i for i, _, _ in candidates}  # cut rule lines; post headers may follow a post
        candidates += [(i, "detector:thread", s.min_core_words) for i in threads]
        candidates += [(i, "detector:replies", s.min_core_words) for i in replies if not marked_below(lines, i, markers)]
    for i, why, need in sorted(candidates):
        if before[i] >= need and not opens_article(lines, scores, i, before[i], s, threads):
            return i, why
    return len(lines), None


def marked_below(lines, i: int, markers: set[int], reach: int = 2) -> bool:
    """A comment-section marker within ``reach`` lines below a reply cue: the cue line is the
    article's sign-off ("Hello! All images are copyright ..."), the section starts at the marker."""
    return any(j in markers for j in nonempty_below(lines, i, reach))


def label_need(lines, i: int, min_core: float | None, threads: list[int], s: StripSettings,
               reach: int = 8) -> float:
    """Core score a ``cut`` line needs above it: the rule's own, else ``min_core_words``; a
    bare label ("Comments") followed within ``reach`` lines by a comment thread with dated
    post headers is certain enough to cut below a short article."""
    if min_core is not None:
        return min_core
    below = nonempty_below(lines, i, 2 * reach)
    dated = any(lines[j].timestamp for j in below)  # post headers with dates, not a ranked list
    return SHORT_ARTICLE if dated and any(t in below[:reach] for t in threads) else s.min_core_words


def heads_article(lines, scores, i: int, above: float) -> bool:
    """A bare label ("Comments") with a title-headed run of prose right below it that is far
    denser (5x) than anything above: a tab or link in the page header, not a section head."""
    run = run_below(lines, scores, i)
    if run is None:
        return False
    _, between, below = run
    return len(between) <= 4 and below >= 5 * above and any(title_shaped(ln) for ln in between)


def opens_article(lines, scores, i: int, above: float, s: StripSettings, threads=()) -> bool:
    """A comment marker in the post's header ("12 comments" beside the byline) and not
    below it: little prose above, and a much denser run of prose starts right below. A run
    that a thread of post headers opens is a long first comment, not the article."""
    if above >= s.min_core_words:
        return False
    run = run_below(lines, scores, i)
    if run is None or any(i < t <= run[0][0] for t in threads):
        return False
    _, between, below = run
    if any(BY_AUTHOR.match(lines[j].text) for j in nonempty_above(lines, i, 2)):
        # a comment link right under the byline is in the post's header, however short the post
        return len(between) <= 4 and below >= max(SHORT_ARTICLE, 2 * above)
    return len(between) <= 4 and below >= max(s.min_core_words, 3 * above)


def run_below(lines, scores, i: int):
    """The densest run of prose below line ``i``: ``(span, non-empty lines between i and
    the run, the run's score)``, or None."""
    span = densest_run([(j, sc) for j, sc in scores if j > i])
    if span is None:
        return None
    between = [ln for ln in lines[i + 1:span[0]] if not ln.empty]
    return span, between, sum(sc for j, sc in scores if span[0] <= j <= span[1])
