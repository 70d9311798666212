"""Reader-comment threads found by their shape, whatever widget printed them.

A thread is a run of *post headers* (a user name beside a timestamp, a bulleted name, a bare
timestamp such as "3 years ago", "Reply" / "X says:" lines from the rules) with short user posts
in between. One header alone proves nothing (an article may print its own date); several close
together, after the article has begun, do.
"""
from __future__ import annotations

from storydedup.pipeline.strip.lines import Line, nonempty_above, nonempty_below
from storydedup.pipeline.strip.detectors.core import MIN_STOP_SHARE

# Headers needed within WINDOW non-empty lines to call a thread.
MIN_HEADERS = 3
WINDOW = 14


def header_evidence(lines: list[Line], i: int, rule_action: str | None) -> bool:
    """Does line ``i`` look like the head or foot of one reader post?"""
    line = lines[i]
    if line.empty:
        return False
    if rule_action == "thread":
        return True
    if line.timestamp and line.words <= 14:
        return True
    if line.signature:  # a letter's "Name, City" sign-off, right below the letter it signs
        prev = [lines[j] for j in nonempty_above(lines, i, 1)]
        return bool(prev) and prev[0].words >= 8 and not prev[0].signature
    # A bulleted user name ("• AM Hants") heading an unbulleted, further indented post; a list
    # of short items (ingredients, sub-headed sections) has no deeper indented text below.
    if not (line.bullet and line.namelike):
        return False
    nxt = [lines[j] for j in nonempty_below(lines, i, 1)]
    return bool(nxt) and not nxt[0].bullet and nxt[0].indent > line.indent


def thread_starts(lines: list[Line], evidence: list[bool]):
    """Indices of headers that open a thread-shaped window (in document order)."""
    nonempty = [ln.index for ln in lines if not ln.empty]
    for pos, idx in enumerate(nonempty):
        if not evidence[idx]:
            continue
        window = nonempty[pos: pos + WINDOW]
        headers = sum(evidence[i] for i in window)
        if headers >= MIN_HEADERS and len(window) - headers >= 1:
            yield idx


# Reply cues needed within CUE_WINDOW non-empty lines: one "Thanks!" in an article is nothing,
# three replies close together are a comment section even without any header.
MIN_CUES = 3
CUE_WINDOW = 10
MIN_TALK = 6
PROSE_WORDS = 6  # lines this long tell how the author writes


def reply_starts(lines: list[Line], cues: list[bool], hints: list[bool] | None = None):
    """Indices of reply-cue lines that open a window dense in reply cues (in document order).
    A window with one cue and ``MIN_TALK`` cue-or-hint lines counts too, where such talk is
    at most a third as common in the text above."""
    nonempty = [ln.index for ln in lines if not ln.empty]
    # a cue in code or a data listing ("@prefix ...") is no reply: replies are written in words
    words = [lines[i].words <= 3 or lines[i].stop_share >= MIN_STOP_SHARE for i in range(len(lines))]
    said = [cues[i] and words[i] for i in range(len(lines))]
    talk = [said[i] or bool(hints and hints[i] and words[i]) for i in range(len(lines))]
    seen = seen_talk = 0  # cue / talk lines above the current one
    prose = lower = 0  # prose lines above, and those starting in lower case
    for pos, idx in enumerate(nonempty):
        span = nonempty[pos: pos + CUE_WINDOW]
        if prose >= 3 and 2 * lower >= prose:  # an author who writes in lower case: a lower-case
            span = [i for i in span if not lines[i].text[:1].islower()]  # line is theirs, not a reply
        window, chat = sum(said[i] for i in span), sum(talk[i] for i in span)
        # where cues are about as common above as here, they are the author's style, not replies
        if said[idx] and idx in span and window >= MIN_CUES and (seen <= 1 or seen * CUE_WINDOW <= pos * window / 3):
            yield idx
        elif said[idx] and idx in span and chat >= MIN_TALK and seen_talk * CUE_WINDOW <= pos * chat / 3:
            yield idx
        seen += said[idx]
        seen_talk += talk[idx]
        if lines[idx].words >= PROSE_WORDS:
            prose += 1
            lower += lines[idx].text[:1].islower()
