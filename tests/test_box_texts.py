"""A box between paragraphs: its controls repeat its text's call, and its text goes with them."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storydedup.pipeline.strip import StripSettings, build_template, load_rules, rule_paths
from storydedup.pipeline.strip.model import decide_batch, load_model, packaged_model
from storydedup.pipeline.strip.model.decide import BOX_TEXT, box_texts
from storydedup.pipeline.strip.model.features import build_vocab, featurize

PARA = ("The harbour board met on Thursday and agreed to dredge the eastern channel before the summer, "
        "after two ferries ran aground there in the spring.")
PROMO = "Get the harbour briefing every Friday morning. Subscribe to our weekly newsletter, it is free."


def rows_of(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def test_a_short_line_below_that_repeats_a_word_only_that_line_uses_is_its_echo():
    page = "\n".join([PARA, PROMO, "Your e-mail address", "Subscribe", PARA.replace("Thursday", "Monday"),
                      "Harbour works", PARA])
    other = "\n".join(["Subscribe", PARA])  # a repeat in another document is no echo
    batch = featurize([page, other], build_vocab())
    echo = batch.echo.tolist()
    assert echo[1] == 3  # the promotion, repeated by its button two rows below
    assert echo[0] == -1 and echo[4] == -1  # "harbour" is in other paragraphs: no call of a box
    assert all(e == -1 for e in echo[6:])  # the first row of the second document repeats nothing above it


@pytest.mark.parametrize("drop, echo, doc, expected", [
    # text, field, button, paragraph: the text goes
    ([0, 1, 1, 0], [2, -1, -1, -1], [0] * 4, [1, 0, 0, 0]),
    ([0, 0, 1, 1, 0], [-1, 3, -1, -1, -1], [0] * 5, [0, 1, 0, 0, 0]),
    # the repeating line is kept: no box
    ([0, 0, 1, 0, 0], [-1, 3, -1, -1, -1], [0] * 5, [0, 0, 0, 0, 0]),
    # the removed run runs to the end of the document (a footer, a thread): no paragraph after it
    ([0, 0, 1, 1, 0], [-1, 3, -1, -1, -1], [0, 0, 0, 0, 1], [0, 0, 0, 0, 0]),
    ([0, 0, 1, 1], [-1, 3, -1, -1], [0] * 4, [0, 0, 0, 0]),
])
def test_the_text_of_a_box_goes_when_its_controls_go_and_the_article_goes_on(drop, echo, doc, expected):
    out = box_texts(np.array(drop, bool), np.array(echo), np.array(doc), np.ones(len(drop), bool))
    assert out.tolist() == [bool(x) for x in expected]


def test_only_a_prose_line_is_taken_as_the_text_of_a_box():
    """A byline or a label above a removed field is not a box's text: it is no paragraph."""
    drop, echo, doc = np.array([0, 0, 1, 0], bool), np.array([-1, 2, -1, -1]), np.zeros(4, int)
    assert box_texts(drop, echo, doc, np.array([1, 1, 0, 1], bool)).tolist() == [False, True, False, False]
    assert not box_texts(drop, echo, doc, np.array([1, 0, 0, 1], bool)).any()


def test_a_newsletter_box_in_swedish_loses_its_text_with_its_field_and_button():
    """From the project's own multilingual set (eval/strip_multilingual, heldout split): the
    model removes the box's field and button; their repeat of "Prenumerera" takes the text."""
    folder = Path(__file__).resolve().parents[1] / "eval" / "strip_multilingual"
    page = next(r for r in map(json.loads, (folder / "input.jsonl").open(encoding="utf-8")) if r["id"] == "ml-sv-02")
    model, scan = load_model(packaged_model(), rule_paths())
    recs = [{"id": page["id"], "text": page["text"]}]
    decision = decide_batch(recs, model, scan, StripSettings(), load_rules(rule_paths()), build_template(recs))[0]
    lines = page["text"].split("\n")
    promo = next(i for i, line in enumerate(lines) if line.startswith("Få veckans"))
    assert decision.reasons[promo] == "model:boilerplate"
    assert decision.notes[promo]["why"] == [[BOX_TEXT, 1.0]]
    assert decision.reasons[promo + 1] and decision.reasons[promo + 2]  # field and button
    assert decision.reasons[promo + 3] is None  # the article goes on


@pytest.mark.parametrize("texts", [[f"{PARA}\n—\n👍 !!!", "", "x"], [PARA], [f"{PARA}\n{PARA}"], ["Subscribe"], [""]])
def test_batches_of_few_rows_or_short_rows_without_words_repeat_nothing(texts):
    batch = featurize(texts, build_vocab())
    assert batch.echo.tolist() == [-1] * len(batch.X)
