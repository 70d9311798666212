"""Hard-wrapped articles (a line break every ~70 characters) keep every line of the body."""
from __future__ import annotations

import textwrap

from storydedup.pipeline.strip import StripSettings
from storydedup.pipeline.strip import load_rules
from storydedup.pipeline.strip import strip_record
from storydedup.pipeline.strip.detectors.core import wrapped_prose
from storydedup.pipeline.strip.lines import split_lines

BODY = (
    "The council of Brindlemoor voted on Thursday to close the old quarry road to lorries after "
    "residents complained for years about dust, noise and cracked walls along the route. "
    "Councillors said the ban would start in the spring and that a new access track to the quarry "
    "would be paid for by the operator, who has agreed to the plan after months of talks with the "
    "town. Residents who had campaigned for the change said they were relieved but would watch "
    "closely whether drivers kept to the new route once the signs went up next to the school."
)


def wrapped_article() -> str:
    menu = "\n\n".join(["Home", "News", "Sport", "Weather", "Contact us"])
    return menu + "\n\nQuarry road to close to lorries\n\n" + textwrap.fill(BODY, 68) + "\n\nMore from Brindlemoor\n\nTerms of use"


def test_wrapped_block_lines_are_prose_but_menus_are_not():
    lines = split_lines(wrapped_article())
    found = wrapped_prose(lines, StripSettings().prose_min_words)
    body_lines = {ln.index for ln in lines if ln.text and ln.text in textwrap.fill(BODY, 68)}
    assert len(body_lines) >= 5 and body_lines <= found
    assert not any(lines[i].text in ("Home", "News", "Terms of use") for i in found)


def test_strip_keeps_the_whole_wrapped_body():
    rec = {"id": "w", "text": wrapped_article()}
    strip_record(rec, StripSettings(), load_rules([]), {})
    assert " ".join(rec["text"].split()).count(BODY) == 1
    assert "Weather" not in rec["text"] and "Terms of use" not in rec["text"]


def random_page(rng, wrapped: bool) -> str:
    """Lines of every kind the two paragraph detectors look at: wrapped paragraphs (with and
    without sentence ends, continuing in lower case), bullets, labels, titles, blank lines;
    without ``wrapped`` only blocks that start with a capital, as most web text is laid out."""
    words = BODY.lower().replace(".", "").replace(",", "").split()
    parts = []
    for _ in range(rng.randrange(4, 16)):
        kind = rng.random() if wrapped else rng.uniform(0.3, 0.75)
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 40)))
        if kind < 0.3:
            block = textwrap.fill(text + rng.choice(["", ".", " and", ":"]), rng.choice([30, 50, 70]))
        elif kind < 0.45:
            block = rng.choice(["- ", "• ", "1. ", "* "]) + text
        elif kind < 0.6:
            block = text.title()
        elif kind < 0.75:
            block = text.capitalize() + rng.choice([".", "", "…", " (12)"])
        else:
            block = text
        parts.append(block)
    return "".join(part + rng.choice(["\n", "\n\n", "\n \n"]) for part in parts)


def test_paragraph_candidates_hold_every_paragraph_line_of_either_detector():
    """``paragraph_candidates`` reads only text and word counts; whatever ``wrapped_prose`` or
    ``continued_prose`` find with the full features is among them, so skipping those features
    when no candidate is asked about changes nothing."""
    import random

    from storydedup.pipeline.strip.detectors.core import continued_prose, paragraph_candidates
    from storydedup.pipeline.strip.lines import text_lines

    rng, min_words = random.Random(3), StripSettings().prose_min_words
    found_any = skipped = 0
    for _ in range(400):
        text = random_page(rng, wrapped=rng.random() < 0.5)
        lines = split_lines(text)
        # what the shared block walk reads as a bullet is the line features' bullet
        assert all(ln.bullet == (ln.text != ln.raw.strip()) for ln in lines)
        found = wrapped_prose(lines, min_words) | continued_prose(lines)
        candidates = paragraph_candidates(text_lines(text), min_words)
        assert found <= candidates, text
        found_any += bool(found)
        skipped += not candidates
    assert found_any > 50 and skipped > 20  # both detectors' cases, and pages the check spares


def test_model_protects_wrapped_lines_only_where_the_detectors_find_them():
    """``paragraph_lines`` answers for the lines asked about, the same with or without its
    shortcut (here: a wrapped article, whose body lines are asked, and its menu lines)."""
    from storydedup.pipeline.strip.model.decide import paragraph_lines

    text, settings = wrapped_article(), StripSettings()
    lines = split_lines(text)
    body = {ln.index for ln in lines if ln.text and ln.text in textwrap.fill(BODY, 68)}
    menu = {ln.index for ln in lines if ln.text in ("Home", "News", "Terms of use")}
    assert paragraph_lines(text, settings, body | menu) == body
    assert paragraph_lines(text, settings, menu) == set()
