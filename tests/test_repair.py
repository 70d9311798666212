"""Text repair: case files, the clean-text fast path against the full path, provenance."""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from storydedup.pipeline.decode.repair import RepairSettings, repair_record, repair_text, repair_text_full, text_is_clean

CASES = Path(__file__).resolve().parent / "cases" / "encoding"
DEFAULT = RepairSettings()


def load_cases():
    for path in sorted(CASES.glob("*.json")):
        for n, case in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            marks = [pytest.mark.xfail(strict=True, reason="known failure")] if case["status"] == "known-failure" else []
            yield pytest.param(case, id=f"{path.stem}-{n}", marks=marks)


ALL_CASES = list(load_cases())


@pytest.mark.parametrize("case", ALL_CASES)
def test_case_file(case):
    fixed, _ = repair_text(case["original"], DEFAULT)
    assert fixed == case["expected"], case["label"]


@pytest.mark.parametrize("case", [pytest.param(c.values[0], id=c.id) for c in ALL_CASES])
def test_fast_path_equals_full_path_on_cases(case):
    assert repair_text(case["original"], DEFAULT) == repair_text_full(case["original"], DEFAULT)


@pytest.mark.parametrize("case", [pytest.param(c.values[0], id=c.id) for c in ALL_CASES])
def test_repair_is_idempotent_on_cases(case):
    once, _ = repair_text(case["original"], DEFAULT)
    assert repair_text(once, DEFAULT)[0] == once


def test_case_files_cover_every_kind():
    cases = [c.values[0] for c in ALL_CASES]
    assert len(cases) >= 40
    assert sum(c["status"] == "known-failure" for c in cases) >= 1
    assert sum(c["original"] == c["expected"] for c in cases) >= 15  # text that must stay as it is


# Pieces that exercise every branch: mojibake makers, controls, odd spaces, entities, marks.
PIECES = [
    "Caf", "é", "Ã©", "Ã", "Â", "\xa0", " ", "  ", "\t", "\n", "\n\n\n", "\r\n", "\r", "â€™", "â€œ",
    "’", "“", "”", "&amp;", "&eacute;", "&#233;", "<", "\x00", "\x1a", "\x1b[1m", "\x85", "\x96",
    "\u200b", "\u200d", "\xad", "\ufeff", "e\u0301", "\u0301", "ﬁ", "Ｆ", "\u3000", "Москва", "Г©",
    "Рџ", "┬┐", "Ελλάδα", "東京", "😀", "ð", "Ø", "ı", "İ", "a", "word", ".", "\u2028", "\ud83d",
]


@hsettings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_fast_path_equals_full_path_on_built_text(text):
    assert repair_text(text, DEFAULT) == repair_text_full(text, DEFAULT)


@hsettings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_fast_path_equals_full_path_on_any_text(text):
    assert repair_text(text, DEFAULT) == repair_text_full(text, DEFAULT)


@hsettings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=15).map("".join),
       st.builds(RepairSettings, fix_encoding=st.booleans(), unescape_html=st.booleans(),
                 uncurl_quotes=st.booleans(), fix_character_width=st.booleans(),
                 normalization=st.sampled_from(["NFC", "NFKC", "none"]),
                 remove_invisible=st.booleans(), tidy_whitespace=st.booleans()))
def test_fast_path_equals_full_path_for_every_setting(text, settings):
    assert repair_text(text, settings) == repair_text_full(text, settings)


WORDS = ["The", "minister", "said", "café", "Zürich", "naïve", "São", "Paulo", "Straße", "señor",
         "Москва", "заявил", "Αθήνα", "είπε", "東京都", "北京", "서울", "القاهرة", "ירושלים", "İzmir",
         "ılık", "Łódź", "€5", "3,5", "“quoted”", "it’s", "—", "(AP)", "2026", "👍", "Þór", "Ñandú"]


@st.composite
def clean_text(draw):
    """Normalised text with tidy whitespace: words, single spaces, indents, line and paragraph breaks."""
    paragraphs = draw(st.lists(st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8),
                                        min_size=1, max_size=3), min_size=1, max_size=3))
    indents = st.sampled_from(["", "", "  ", "    ", "  \u2022 "])  # indentation is layout, kept
    text = "\n\n".join("\n".join(draw(indents) + " ".join(line) for line in para) for para in paragraphs)
    return unicodedata.normalize("NFC", text)


@hsettings(max_examples=300, deadline=None)
@given(clean_text())
def test_clean_text_comes_out_unchanged(text):
    assert repair_text(text, DEFAULT)[0] == text
    assert repair_text_full(text, DEFAULT)[0] == text
    assert text_is_clean(text, DEFAULT)


def test_clean_check_refuses_what_needs_work():
    for text in ["Ã©t", "a  b", "a\tb", "\nlead", "trail ", "x\n\n\ny", "x \ny", "&amp;", "e\u0301", "x\u200by", "\x07"]:
        assert not text_is_clean(text, DEFAULT), repr(text)


def test_paragraph_and_line_breaks_are_kept():
    text = "Headline\nBy A. Writer\n\nFirst paragraph.\n\n\n\nSecond paragraph."
    assert repair_text(text, DEFAULT)[0] == "Headline\nBy A. Writer\n\nFirst paragraph.\n\nSecond paragraph."


def test_uncurl_setting():
    assert repair_text("“It’s”", RepairSettings(uncurl_quotes=True))[0] == "\"It's\""
    assert repair_text("“It’s”", DEFAULT)[0] == "“It’s”"


def test_record_notes_and_counters():
    rec = {"id": "a", "text": "Caf\u00c3\u00a9 au lait  &amp; more\u200b", "notes": {}}
    counters = repair_record(rec, DEFAULT)
    assert rec["text"] == "Café au lait & more"
    note = rec["notes"]["repair"]
    assert ["apply", "unescape_html"] in note["ftfy"] and ["apply", "decode_inconsistent_utf8"] in note["ftfy"]
    assert note["lines"]["mojibake"] == 1 and note["lines"]["html_entities"] == 1
    assert note["invisible"] == 1 and note["whitespace"] == 1
    assert counters["changed"] == 1 and counters["fix:mojibake"] == 1 and counters["fix:invisible"] == 1


def test_clean_record_is_untouched():
    rec = {"id": "b", "text": "Nothing to fix here.", "notes": {}}
    assert repair_record(rec, DEFAULT) == {"unchanged": 1}
    assert rec == {"id": "b", "text": "Nothing to fix here.", "notes": {}}


def test_settings_are_simple_types():
    for name, value in vars(DEFAULT).items():
        assert isinstance(value, (bool, int, float, str)), name


# The pieces of the clean check must agree with what they stand in for.
from ftfy.badness import is_bad  # noqa: E402

from storydedup.pipeline.decode.badness import _TRIGGER_RE, looks_bad  # noqa: E402
from storydedup.pipeline.decode.repair import _MIXED_WORD, has_mixed_word, is_tidy, tidy_whitespace  # noqa: E402

CHECK_ALPHABET = "".join(sorted(set(_TRIGGER_RE.pattern) - set("[]\\"))) + "abzAZ \n\t\xa0\u3000.,-'ÃÂœŒ°²вЂЃΑω"


@hsettings(max_examples=1500, deadline=None)
@given(st.text(alphabet=CHECK_ALPHABET, max_size=40) | st.text(max_size=40))
def test_check_parts_agree_with_their_definitions(text):
    assert looks_bad(text) == is_bad(text)
    assert is_tidy(text) == (tidy_whitespace(text) == text)
    assert has_mixed_word(text) == bool(_MIXED_WORD.search(text))


def test_other_space_set_is_every_whitespace_but_space_and_newline():
    from storydedup.pipeline.decode.repair import _OTHER_SPACE

    negated = re.compile(r"[^\S\n ]")
    differ = [hex(c) for c in range(sys.maxunicode + 1)
              if not 0xD800 <= c < 0xE000 and bool(_OTHER_SPACE.match(chr(c))) != bool(negated.match(chr(c)))]
    assert differ == []
