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
