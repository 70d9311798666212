"""Unit tests of the pieces: rule loading, line features, detectors, template, notes."""
from __future__ import annotations

import json
import random

import pytest
import xxhash
from hypothesis import given, settings as hsettings, strategies as st

from storydedup.pipeline.resources import ConfigError

from storydedup.pipeline.strip import (StripSettings, build_template, check_disabled, rule_paths, load_rules,
                                  strip_record)
from storydedup.pipeline.strip.detectors.boxes import runs_from, story_list
from storydedup.pipeline.strip.detectors.core import best_before, densest_run, is_prose, title_runs
from storydedup.pipeline.strip.detectors.headline import title_shaped
from storydedup.pipeline.strip.detectors.sections import find_cut, opens_article
from storydedup.pipeline.strip.detectors.tables import item_numbers, table_cells
from storydedup.pipeline.strip.detectors.thread import header_evidence, thread_starts
from storydedup.pipeline.strip.lines import is_dated, line_features, split_lines
from storydedup.pipeline.strip import template
from storydedup.pipeline.strip.rules import may_start
from storydedup.pipeline.strip.template import site_of
from storydedup.pipeline.records import RejectDocument
from storydedup.pipeline.strip.strip import line_scores

RULES = load_rules(rule_paths())
PARA = ("The committee met on Monday to discuss the budget for the coming year and agreed that "
        "the library and the swimming pool would both stay open through the winter months.")


def article(*tail: str, paragraphs: int = 3) -> str:
    return "\n\n".join(["Headline about the budget meeting"] + [PARA] * paragraphs + list(tail))


def test_rules_match_whole_lines_only():
    assert RULES.match("Leave a Reply", 3).group == "comments"
    sentence = "Readers may leave a reply to the mayor by letter until the end of the month."
    assert RULES.match(sentence, len(sentence.split())) is None


def first_match_of_all(rules, line: str, n_words: int):
    """What ``RuleSet._match`` answers, trying every rule in order (no narrowing): the first
    rule one of whose patterns matches the whole line or its bare label, case-insensitively
    (a "contains" pattern ``.*X.*``: X found anywhere in it)."""
    import re

    from storydedup.pipeline.strip.rules import bare_label

    bare = bare_label(line)
    texts = [line] + ([bare] if bare != line and bare else [])

    def matches(rule) -> bool:
        return any(re.search(p, t, re.I) if inner else re.fullmatch(p, t, re.I)
                   for p, _, _, inner in rule.each for t in texts)

    return next((r for r in rules.rules if n_words <= r.max_words and matches(r)), None)


def lookalike_lines() -> list[str]:
    """Rule labels, also with first letters swapped for look-alikes (Kelvin sign, dotless i,
    long s), digits of other scripts, decorations and case variants, plus prose and empty lines."""
    rng = random.Random(11)
    labels = ["Leave a Reply", "12 comments", "Share on Facebook", "» Read more", "Comments (3)", "[Reply]",
              "Kommentare", "Répondre", "Compartir", "© 2024 Example", "Posted by anna at 10:32",
              "Newsletter", "Anna says:", "Tweet", "Print this page", "Ⅻ comments"]
    lines = labels + [PARA, "", "٣ comments", "\u212aommentare", "ıncele", "ſhare", "İstanbul"]
    for _ in range(300):  # labels with their first letters swapped for look-alikes and case variants
        word = rng.choice(labels)
        swap = rng.choice(["\u212a", "ı", "ſ", "İ", "K", "k", "S", "s", "I", "i", "É", "é", "1", "٣", "»", " "])
        lines.append(swap + word[1:] if rng.random() < 0.5 else word.swapcase())
    return lines


# Lines that start with decoration which some patterns start with too ("+1", "(c)", "<div", "> Home"):
# such a character is a start class of its own, apart from the label after it.
DECORATED = ["+1", "+1 great point", "-3", "(c) 2024 Example", "<div class='ad'>", "> Home", ">> Next page",
             "» Home", "#3 Anna", "@anna yes", "© Example", "(12)", "[12 comments]", "| Share |", "~ Anna"]


def test_rules_tried_by_first_character_answer_as_trying_all():
    """Only the rules a line's first character allows are tried; the answer is the same, also for
    characters that fold to another under IGNORECASE, other scripts' digits and decorations."""
    assert sum(RULES.match(line, len(line.split())) is not None for line in DECORATED) >= 8
    for line in lookalike_lines() + DECORATED:
        n = len(line.split())
        assert RULES._match(line.strip(), n, ()) is first_match_of_all(RULES, line.strip(), n), line


# Lines that rules keyed by their first words match ("Hi Anna", "Ich finde", "my two cents"), and look-alikes
SECOND_CHARACTER = ["Hi Anna", "hello all", "Hey!", "wow", "My view", "Yes indeed", "I agree", "I'm not sure",
                    "Ich finde das gut", "Je pense que non", "Yo creo", "12 comments", "1 comment", "Share on Facebook",
                    "Leave a Reply", "Kommentare", "Newsletter", "Anna says:", "Skip to content", "Posted 3 hours ago"]


def test_rules_narrowed_by_second_character_answer_as_trying_all():
    """Patterns that need no literal piece (lists of short first words) are tried only on texts
    whose second character they allow; the answer is the same, also with look-alikes there
    (Kelvin sign, dotless and dotted i, long s), other scripts' digits and case variants."""
    from storydedup.pipeline.strip.rules import second_class

    rng = random.Random(17)
    lines = list(SECOND_CHARACTER)
    for _ in range(400):
        word = rng.choice(SECOND_CHARACTER)
        swap = rng.choice(["\u212a", "\u0131", "\u0130", "\u017f", "K", "s", "I", "i", "E", "1", "\u0663", " ", "'", "!"])
        lines.append(word[0] + swap + word[2:] if rng.random() < 0.7 else word.swapcase())
    for line in lines:
        n = len(line.split())
        assert RULES._match(line, n, ()) is first_match_of_all(RULES, line, n), line
    assert sum(RULES.match(line, len(line.split())) is not None for line in SECOND_CHARACTER) >= 12
    # it narrows: a line starting "Hu" is offered fewer patterns than the "H" class holds, "Hi" all of them
    index = RULES.patterns_from("H")
    every = len(index.entries_for(set(), None))
    assert len(index.entries_for(set(), second_class("Hurricane warning"))) < every
    assert len(index.entries_for(set(), second_class("Hi Anna"))) == every


def test_second_characters_hold_for_every_whole_line_match():
    """Every text of two characters or more that a rule pattern matches whole starts with a
    character pair the pattern's index allows (``_seconds``), over the rule files' patterns and
    lines made to match them."""
    import re

    from storydedup.pipeline.strip.rules import _seconds, second_class

    texts = lookalike_lines() + DECORATED + SECOND_CHARACTER + [line.upper() for line in SECOND_CHARACTER]
    checked = 0
    for rule, _, _, regex, inner in RULES._patterns:
        if inner:
            continue
        for text in texts:
            text = text.strip()
            if len(text) >= 2 and re.fullmatch(regex.pattern, text, re.I):
                allowed = _seconds(regex.pattern, RULES.start_class(text[0]))
                assert allowed is None or second_class(text) in allowed, (regex.pattern, text)
                checked += allowed is not None
    assert checked >= 20


def test_second_chars_read_from_the_parsed_pattern():
    from storydedup.pipeline.strip.patterns import second_chars

    assert second_chars("Hi|HEY|hallo") == {"h": frozenset("iea")}  # lower-cased, as IGNORECASE reads them
    assert second_chars("x*y") == {"x": frozenset("xy"), "y": frozenset()}  # "y" alone: no second character
    assert second_chars("ab?") == {"a": frozenset("b")}
    assert second_chars("\\d+ comments?") == {"0": frozenset("0 ")}
    assert second_chars("\\d+\\s*comments?") == {"0": None}  # \\s is not spelled out: anything may follow
    assert second_chars("[+-]?\\d") == {"+": frozenset("0"), "-": frozenset("0"), "0": frozenset()}
    assert second_chars("a(?=b)c|a\\bd") == {"a": frozenset("cd")}  # zero-width parts read as nothing
    assert second_chars("a.") == {"a": None} and second_chars("(?:x?)*y") is None and second_chars(".*a") is None
    assert second_chars("[a-c]{3,}") == {ch: frozenset("abc") for ch in "abc"}


def test_candidates_built_ahead_per_start_class_answer_as_trying_all(tmp_path):
    """``prepare`` builds the candidates of whole start classes from one member each; every
    member then gets the answer of trying every rule, and each class answers ``may_start`` alike."""
    extra = tmp_path / "digits.toml"
    extra.write_text("[group.answers]\naction = 'thread'\nlines = ['\\d+ antworten']\n")
    rules = load_rules([*rule_paths(), str(extra)])
    rules.prepare()
    built = len(rules._indexes)
    for line in lookalike_lines() + ["7 antworten", "٣ antworten", "Ⅻ antworten"]:
        n = len(line.split())
        assert rules._match(line.strip(), n, ()) is first_match_of_all(rules, line.strip(), n), line
    assert len(rules._indexes) == built  # prepare built every class: the look-alikes fall in them
    sample = "".join(chr(c) for c in range(0x20, 0x3000, 7)) + "\u212aıſİ٣Ⅻ»«“—"
    starts = {st for _, st, _, _, _ in rules._patterns}
    for ch in sample:
        rep = rules.start_class(ch) or ch
        assert all(may_start(st, ch) == may_start(st, rep) for st in starts), ch


def test_long_lines_tried_pattern_by_pattern_answer_as_trying_all():
    """Long lines (whose answers are not kept) are tried only against the patterns whose literal
    pieces they hold; the answer is the same, also where IGNORECASE equates letters that
    ``str.lower`` keeps apart (long s, dotless i, final sigma, dotted capital I)."""
    from storydedup.pipeline.strip.rules import KEPT_BELOW

    rng = random.Random(5)
    phrases = ["Thanks for sharing this", "keep up the great work", "I really agree with you",
               "we use cookies to improve", "Great post!", "your article was great!", "@anna yes",
               "all rights reserved", "Alle Rechte vorbehalten", "tous droits réservés", "vielen Dank",
               "<div class=x>", "delivered straight to your inbox", "document.write(x)"]
    swaps = {"s": "\u017f", "i": "\u0131", "I": "\u0130", "k": "\u212a"}
    lines = []
    for _ in range(400):
        words = PARA.split()
        k = rng.randrange(len(words))
        words[k:k] = [rng.choice(phrases)]
        line = " ".join(words[:rng.randrange(8, len(words) + 1)])
        if rng.random() < 0.3:
            line = "".join(swaps.get(ch, ch) if rng.random() < 0.2 else ch for ch in line)
        lines.append(line.swapcase() if rng.random() < 0.2 else line)
    lines += ["ΟΔΟΣ " * 20, "Thanks for sharing, Σ " * 6, rng.choice(phrases) + " " + PARA]
    assert sum(len(line) >= KEPT_BELOW for line in lines) > 300
    for line in lines:
        n = len(line.split())
        assert RULES._match(line, n, ()) is first_match_of_all(RULES, line, n), line


def test_piece_finder_finds_what_substring_tests_find():
    """One pass finds every piece a line holds, overlapping and nested ones included."""
    from storydedup.pipeline.strip.rules import PieceFinder

    rng = random.Random(9)
    pieces = ["comment", "comments", "omme", "ment", "ts o", "aaa", "aa", "Σσ", "reply", "ply"]
    finder = PieceFinder(pieces + [""])
    for _ in range(300):
        line = "".join(rng.choice("acemnostplry aΣσ") for _ in range(rng.randrange(0, 40)))
        line += rng.choice(["", " comments on", " reply", "aaaa"])
        assert finder(line) == {p for p in pieces if p in line}, line
    assert PieceFinder([])("anything") == set()


def test_literal_pieces_hold_under_ignorecase():
    """``fold`` equates exactly what the regex engine's IGNORECASE equates, letter by letter,
    and ``required`` finds pieces only where every match has them."""
    import re
    import sys

    from storydedup.pipeline.strip.patterns import fold, required

    lower = getattr(sys.modules.get("_sre"), "unicode_tolower", None)
    if lower is not None:
        for code in range(0x110000):
            ch = chr(code)
            assert fold(ch) == fold(chr(lower(code))), hex(code)
    for a, b in (("\u017f", "s"), ("\u0131", "I"), ("\u0130", "i"), ("\u03c2", "\u03a3"), ("\u212a", "k")):
        assert bool(re.fullmatch(re.escape(a), b, re.I)) == (fold(a) == fold(b)), (a, b)
    assert required("keep up the (?:good|great) work") == (frozenset({"keep up the g"}), frozenset({" work"}),
                                                         frozenset({"ood", "reat"}))
    assert required(".*\\bthanks?\\s+for\\b.*[!?]")[0] == frozenset({"thank"})
    for pattern in ("(?:a|)x?", "[a-z]+", "\\w+ says", ".*"):
        assert all(piece for need in required(pattern) for piece in need)
    assert required("(?:hi|[a-z]+) there") == (frozenset({" there"}),)


def test_scan_free_line_checks_answer_as_their_patterns():
    """``ends_sentence`` reads the last character, ``bare_label`` runs the counter pattern only
    on a line that ends in a bracket, ``fold`` translates only texts holding a folded letter:
    each answers as the pattern or table it stands for, on lines with every kind of space."""
    from storydedup.pipeline.strip import rules
    from storydedup.pipeline.strip.lines import SENTENCE_END, ends_sentence
    from storydedup.pipeline.strip.patterns import _CASE_CLASSES, fold

    def bare_by_pattern(line: str) -> str:
        bare = rules._COUNTER.sub("", line.strip(rules._DECOR + " ")).strip(rules._DECOR + " ").rstrip(".…:! ")
        return bare[1:-1].strip(rules._DECOR + " ") if len(bare) > 2 and bare[0] + bare[-1] in ("[]", "()", "{}", "<>") else bare

    rng = random.Random(5)
    pool = list("ab Σσς1٣.!?…:;\"”»)([]» |\t\u00a0\u2003\u3000\x1c") + ["(12)", " [3] ", "Reply", "\u0130", "ſ"]
    for _ in range(20000):
        line = "".join(rng.choice(pool) for _ in range(rng.randrange(0, 10)))
        assert ends_sentence(line) == bool(SENTENCE_END.search(line)), repr(line)
        assert rules.bare_label(line) == bare_by_pattern(line), repr(line)
        assert fold(line) == (line.lower() if line.isascii() else line.replace("\u0130", "i").lower().translate(_CASE_CLASSES))


def test_patterns_that_read_the_same_in_a_label_and_its_line(tmp_path):
    from storydedup.pipeline.strip.patterns import local

    assert local(r"thanks for (?:sharing|posting)\b") and local(r"\bgreat (?:post|article)")
    for pattern in (r"^thanks", r"thanks$", r"thanks(?!\.)", r"(?<=@)\w+", r"(a)\1"):
        assert not local(pattern), pattern
    # a rule whose "contains" pattern looks past a line's end still tries the bare label
    looking = tmp_path / "x.toml"
    looking.write_text("[group.g]\nlines = ['.*reply(?!\\)).*']\n")
    assert not load_rules([str(looking)]).rules[0].local


def test_rules_starting_with_a_digit_class_are_tried_on_every_digit(tmp_path):
    extra = tmp_path / "digits.toml"
    extra.write_text("[group.answers]\naction = 'thread'\nlines = ['\\d+ antworten', '[1-3] votes']\n")
    rules = load_rules([str(extra)])
    for line in ("7 antworten", "٣ antworten", "0 antworten", "2 votes"):
        assert rules._match(line, 2, ()) is not None, line
    assert rules._match("5 votes", 2, ()) is None


def test_rule_file_errors_are_reported(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[group.x]\naction = 'explode'\nlines = ['a']\n")
    with pytest.raises(ConfigError, match="unknown action"):
        load_rules([str(bad)])


def test_rules_extend_from_config_without_code(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text("[group.house_widget]\naction = 'cut'\nlines = ['talk to the newsroom']\n")
    rules = load_rules(rule_paths() + [str(extra)])
    rec = {"id": "x", "text": article("Talk to the newsroom", "Great piece, thanks for writing it!"), "notes": {}}
    counters = strip_record(rec, StripSettings(), rules, {})
    # the marker line and the comment below it, both credited to the group that cut them
    assert "Great piece" not in rec["text"] and counters["rule:house_widget"] == 2


def test_disabled_group_is_ignored():
    text = "\n\n".join(["Headline about the budget", PARA, "Tweet", PARA, PARA])
    rec = {"id": "x", "text": text, "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert "Tweet" not in rec["text"]
    rec = {"id": "x", "text": text, "notes": {}}
    strip_record(rec, StripSettings(disabled_groups=("share",)), RULES, {})
    assert "Tweet" in rec["text"]


def test_unknown_disabled_group_is_an_error():
    check_disabled(RULES, ("share", "comments"))
    with pytest.raises(ConfigError, match="no rule group named 'share_bar'.*share"):
        check_disabled(RULES, ("share_bar",))


def test_line_features_timestamps_and_names():
    assert line_features(0, "3 years ago").timestamp
    assert line_features(0, "March 3, 2019 at 4:12 pm").timestamp
    assert line_features(0, "vor 2 Stunden").timestamp
    assert not line_features(0, "The mill was built in 1781.").timestamp
    assert line_features(0, "  • AM Hants").bullet
    assert not line_features(0, "We met in the town hall.").namelike


def test_is_prose_rejects_title_case_link_lists():
    assert is_prose(line_features(0, PARA), 6)
    assert not is_prose(line_features(0, "Pelosi Says Spirit Of Susan Anthony Talked To Her About Women In Politics"), 6)


def test_densest_run_skips_menu_and_keeps_subheading():
    scores = [(0, -2), (1, -2), (2, 30), (3, -2), (4, 25), (5, -40), (6, 10)]
    assert densest_run(scores) == (2, 4)
    assert best_before(scores, 7)[5] == 53


def test_thread_detector_on_bulleted_names():
    lines = split_lines("\n".join(["  • anna", "    nice", "  • bob", "    agree", "  • cy", "    no"]))
    evidence = [header_evidence(lines, i, None) for i in range(len(lines))]
    assert evidence[0] and evidence[2] and not evidence[1]
    assert list(thread_starts(lines, evidence))[0] == 0


def test_bulleted_ingredient_list_is_not_a_thread():
    lines = split_lines("- flour\n- water\n- salt\nMix everything in a bowl.")
    assert not any(header_evidence(lines, i, None) for i in range(len(lines)))


def test_template_lines_removed_and_json_serialisable():
    recs = [{"id": str(i), "source": "gazette",
             "text": f"Gazette Online Edition\n\n{PARA} Story {i}.\n\n{PARA}\n\nVisit our shop for mugs"}
            for i in range(6)]
    tpl = build_template(recs)
    json.dumps(tpl)
    rec = dict(recs[0], notes={})
    counters = strip_record(rec, StripSettings(), RULES, tpl)
    assert "Visit our shop" not in rec["text"] and "Story 0." in rec["text"]
    assert counters.get("detector:template", 0) >= 1


def test_site_of():
    assert site_of({"url": "https://www.example.org/a"}) == "example.org"
    assert site_of({"source": "Wire", "url": "https://x.org"}) == "wire"
    assert site_of({}) is None


def test_every_removal_recorded_with_reason_and_text():
    rec = {"id": "x", "text": article("Leave a Reply", "Great read!"), "notes": {}}
    counters = strip_record(rec, StripSettings(), RULES, {})
    removed = rec["notes"]["strip"]["removed"]
    assert removed[0]["by"] == "rule:comments" and "Great read!" in removed[0]["text"]
    assert counters["rule:comments"] == 2


def test_short_document_passes_unchanged():
    for text in ["Reply", "Home\nNews", "Caf\u00e9 opens on Main Street."]:
        rec = {"id": "x", "text": text, "notes": {}}
        strip_record(rec, StripSettings(), RULES, {})
        assert rec["text"] == text


def test_brief_text_keeps_everything_above_its_paragraph():
    """Under ``model_min_lines`` lines no frame shows above the article: a second title and an
    icon's label between the titles stay, as the text came (a rule's line would still go)."""
    lines = ["Smoke from the hills drifts over the harbour", "media_play",
             "Ferry crews pose with a seal to start the season", PARA + " " + PARA]
    rec = {"id": "x", "text": "\n\n".join(lines), "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert rec["text"] == "\n\n".join(lines)
    rec = {"id": "x", "text": "\n\n".join(lines + ["Leave a Reply", "Great read!"]), "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert rec["text"] == "\n\n".join(lines)


def test_extracted_text_is_scored_only_when_a_line_may_open_the_comments():
    """The comment cut asks for the core detector's scores only when a line may start the
    section: an extracted article without a marker, thread or reply cue is never scored."""
    settings, asked = StripSettings(), []
    for tail, cut in (((), None), (("Leave a Reply", "Great read, thanks!"), "rule:comments")):
        lines = split_lines(article(*tail))
        hits = [None if ln.empty else RULES.match(ln.text, ln.words) for ln in lines]
        cues = [bool(h and h.action == "cue") for h in hits]
        hints = [bool(h and h.action == "hint") for h in hits]
        evidence = [header_evidence(lines, i, h.action if h else None) for i, h in enumerate(hits)]
        no_template = [False] * len(lines)

        def score_lines():
            asked.append(cut)
            return line_scores(lines, hits, evidence, no_template, set(), settings)

        found = find_cut(lines, hits, evidence, cues, hints, score_lines, title_runs(lines), settings)
        assert found[1] == cut
    assert asked == ["rule:comments"]


def test_all_chrome_document_is_rejected():
    text = "\n".join(["Home", "Menu", "Search", "Privacy Policy", "Contact us"] * 15)
    rec = {"id": "x", "text": text, "notes": {}}
    with pytest.raises(RejectDocument, match="empty after boilerplate stripping"):
        strip_record(rec, StripSettings(), RULES, {})


def test_settings_fields_are_simple_types():
    from dataclasses import fields
    for f in fields(StripSettings):
        value = getattr(StripSettings(), f.name)
        assert isinstance(value, (bool, int, float, str, tuple)), f.name


@pytest.mark.parametrize("line", ["Comments »", "Commentaires (4) »", "› Kommentare", "Comentarios [12]"])
def test_labels_dressed_as_links_match_their_wording(line):
    hit = RULES.match(line, len(line.split()))
    assert hit is not None and hit.group == "comment_labels"


def test_numbered_list_in_sequence_counts_as_text():
    from storydedup.pipeline.strip.detectors.core import numbered_items
    lines = split_lines("Intro\n1. First Title Here\n\n2. Second Title Here\nA note\n3. Third Title Here\n7. Stray Title Line")
    assert numbered_items(lines) == {1, 3, 5}
    assert numbered_items(split_lines("1. One Item Here\n3. Other Item Here\n4. Last Item Here")) == set()


def test_echoed_lines_are_captions_not_prose():
    from storydedup.pipeline.strip.detectors.core import echoed_lines
    caption = "{} competes in the final at the city stadium during the summer games on Tuesday evening"
    text = "\n".join([PARA, "The mayor said the new pool would open in spring next year."]
                     + [caption.format(name) for name in ("Ann", "Bea", "Cleo", "Dora")])
    assert echoed_lines(split_lines(text)) == {2, 3, 4, 5}


def test_relative_age_with_client_is_a_timestamp():
    assert line_features(0, "6 minutes ago from Twitter for iPhone").timestamp
    assert not line_features(0, "He came 3 days ago from Paris to see the mayor and left").timestamp


def test_reply_cues_never_remove_a_line_alone():
    text = article("Thanks for reading, and see you next week!", paragraphs=4)
    rec = {"id": "x", "text": text, "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert "Thanks for reading, and see you next week!" in rec["text"]
    assert RULES.match("Thanks for reading, and see you next week!", 7).action == "cue"


@pytest.mark.parametrize("text,signed", [
    ("Frances M., Mallorca, Spain", True), ("jo whitfield, bristol", True),
    ("Entertainment Apps (e.g., Netflix, YouTube)", False), ("Room 12, Block B", False),
    ("However, the plan failed", False),
])
def test_signature_shape(text, signed):
    assert line_features(0, text).signature is signed


def test_documents_without_site_use_batch_labels():
    docs = [{"id": str(n), "text": f"Home\nReply\nStory number {n} is about a different topic entirely."}
            for n in range(40)]
    template = build_template(docs)
    from storydedup.pipeline.strip.template import template_lines
    s = StripSettings()
    is_tpl = template_lines(docs[0], template, s.template_min_docs, s.template_min_share,
                            s.batch_template_share, s.batch_template_words)
    assert is_tpl("Home") and is_tpl("Reply")
    assert not is_tpl("Story number 0 is about a different topic entirely.")  # longer than a label
    off = template_lines(docs[0], template, s.template_min_docs, s.template_min_share, s.batch_template_share, 0)
    assert not off("Home")


def test_contains_patterns_match_like_whole_line_patterns(tmp_path):
    extra = tmp_path / "x.toml"
    extra.write_text("[group.x]\naction = 'drop'\nlines = ['.*\\bwidget\\b.*', 'exact label']\n")
    rules = load_rules([str(extra)])
    assert rules.match("a widget here", 3).group == "x" and rules.match("exact label", 2).group == "x"
    assert rules.match("widgets only", 2) is None and rules.match("an exact label", 3) is None


def test_script_source_is_not_prose():
    from storydedup.pipeline.strip.detectors.core import is_code
    js = 'loadImages() { if (document.images) { over = newImage("a.gif"); out = newImage("b.gif"); } }'
    assert is_code(line_features(0, js)) and not is_prose(line_features(0, js), 6)
    assert not is_code(line_features(0, PARA))
    assert not is_code(line_features(0, "The score was 3-2 (after extra time); the crowd of 4,000 stayed on."))


@pytest.mark.parametrize("line", [
    "Ich finde den Vorschlag gar nicht so schlecht, aber die Umsetzung fehlt.",
    "Je pense que l'auteur oublie un point important dans son raisonnement.",
    "Creo que el autor olvida un punto importante en su análisis.",
])
def test_chatter_hints_cover_de_fr_es(line):
    rule = RULES.match(line, len(line.split()))
    assert rule is not None and rule.action == "hint"


@pytest.mark.parametrize("line", [
    "Der Stadtrat hat am Montag den Haushalt für das kommende Jahr beschlossen.",
    "Le conseil municipal a adopté lundi le budget de l'année prochaine.",
    "Si el ayuntamiento aprueba el presupuesto, la piscina seguirá abierta.",
])
def test_chatter_hints_leave_report_sentences_alone(line):
    assert RULES.match(line, len(line.split())) is None


def test_category_lines_and_ad_labels_are_chrome():
    for line, group in [("Posted in music | pictures", "tags"), ("Filed under news, local", "tags"),
                        ("Advertise | AdChoices", "ads")]:
        assert RULES.match(line, len(line.split())).group == group
    sentence = "Posted in 2009, the clip drew millions of views within a week."
    assert RULES.match(sentence, len(sentence.split())) is None


def test_headline_search_steps_over_named_chrome():
    title = "Photos of the day: the bridge under construction"
    chrome = ["Tweet", "4 Comments", "Posted in history, photos", "Tags: archives, bridges"]
    frame = ["Home", "News", "Events", "Older post", "Newer post", "Some other festival this weekend"]
    text = "\n\n".join(frame + [title,
                       "November 12th, 2012 by Jane Roe"] + chrome + [PARA] * 3)
    rec = {"id": "x", "text": text, "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert rec["text"].startswith(title) and "Posted in" not in rec["text"]


def test_bar_of_named_tools_is_chrome():
    bar = "Printer Friendly Version | E-mail to a Colleague"
    assert RULES.match(bar, len(bar.split())).action == "drop"
    mixed = "Printer Friendly Version | The harbour ferry adds an evening sailing"
    assert RULES.match(mixed, len(mixed.split())) is None


@pytest.mark.parametrize("title, kept", [
    ("Budget meeting keeps the library and the swimming pool open", True),  # the text's own header
    ("Harbour ferry adds a late evening sailing to the island", False),  # a teaser of another story
])
def test_dated_header_beyond_a_news_box_must_be_about_the_text(title, kept):
    frame = ["Home", "News", "Sport"]
    box = ["Latest news", "Council names a new head of the parks service", "More in Politics"]
    text = "\n\n".join(frame + [title, "By Jane Roe", "Monday, March 3, 2025"] + box + [PARA] * 3)
    rec = {"id": "x", "text": text, "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert (title in rec["text"]) is kept and "Latest news" not in rec["text"]
    assert rec["text"].endswith(PARA)


def test_table_rows_need_equal_cell_counts_and_no_text_between():
    table = split_lines("Scores:\nHome\nAway\nMonday\n2\n1\nTuesday\n0\n0\nFriday\n3\n2\nThat was the week.")
    cells = table_cells(table)
    assert {ln.text for ln in table if ln.index in cells} == {"Home", "Away", "Monday", "2", "1", "Tuesday", "0", "Friday", "3"}
    # vote counts under comments: label-and-numbers rows, but the comment text sits between them
    thread = split_lines("Ann\nGood point about the toll.\n12\n3\nBob\nI disagree entirely.\n7\n1\n"
                         "Cy\nWhy now?\n2\n0")
    assert table_cells(thread) == set()
    # rows of different widths are not one table
    assert table_cells(split_lines("A\n1\n2\nB\n3\n4\n5\nC\n6\n7")) == set()


def test_item_numbers_count_by_one_with_prose_between():
    para = "The old quay was rebuilt twice before the war and still holds the fish market."
    lines = split_lines("\n".join(["10", "Portsoy", para, "9", para, "8", para, "9", para, "12", para, "3", "4", "5"]))
    items = item_numbers(lines, lambda ln: is_prose(ln, 6))
    # 10, 9, 8 count down; 8, 9 turns back (a run of two: the second 9 is not an item); 3, 4, 5
    # count up with nothing between them: a pager, not a list's items
    assert sorted(lines[i].text for i in items) == ["10", "8", "9"]
    assert item_numbers(split_lines("\n".join(["3", para, "0", para, "12", para, "1"])), lambda ln: True) == set()


def test_a_list_articles_item_numbers_are_not_a_thread_but_numbered_comments_are():
    towns = {"Portsoy": "Boats still land crab here on most mornings, and the old salmon bothy is now a small museum.",
             "Cullen": "A railway viaduct crosses the whole village, and the smoked haddock soup took its name from it.",
             "Crovie": "One row of cottages stands with its back to the cliff; cars stay at the top of the hill.",
             "Pennan": "Visitors come for the red telephone box that a film made famous forty years ago.",
             "Gardenstown": "The church on the slope above the bay was built by the fishing families themselves."}
    items = [line for k, (town, text) in zip(range(5, 0, -1), towns.items()) for line in (str(k), town, text)]
    rec = {"id": "list", "text": "\n\n".join(["Five harbour towns worth the detour", PARA, PARA, PARA, *items]),
           "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert all(line in rec["text"] for line in items if not line.isdigit())
    comments = []
    for k, name in enumerate(["Ann", "Bob", "Cy", "Dee"], 1):
        comments += [str(k), f"{name} on May {k + 2}, 2025 at 2:5{k} pm", f"Thanks for this, {name} here, we went last June."]
    rec = {"id": "thread", "text": "\n\n".join([PARA] * 3 + comments), "notes": {}}
    strip_record(rec, StripSettings(), RULES, {})
    assert rec["text"] == "\n\n".join([PARA] * 3)


@pytest.mark.parametrize("text, dated", [
    ("By Ana Ruiz", True), ("Contributed by: Lee Park, with reporting by Sam Ode", True),
    ("Photos by: Ken Ito", True), ("Updated 4:05 pm", True), ("Fotos von: Jan Berg", True),
    ("Killed by a falling tree in the storm", False), ("Harbour crews prepare for the regatta", False),
])
def test_bylines_and_credit_labels_are_dated(text, dated):
    assert is_dated(text) is dated


@pytest.mark.parametrize("text, title", [
    ("Hilary Osborne and Phillip Inman", False), ("Ana Ruiz, Tom Dale & Kim Oh", False),
    ("Ferry service returns to Gull Island", True), ("Cats and dogs share the prize", True),
])
def test_author_lists_are_not_titles(text, title):
    assert title_shaped(line_features(0, text)) is title


def test_run_from_starts_at_the_given_line_in_either_direction():
    scores = [(0, 5.0), (2, -1.0), (4, 30.0), (6, -120.0), (8, 40.0)]  # (line, score); k indexes this list
    run_from = runs_from(scores)
    assert run_from(1, 1) == (2, 4)  # takes the cost of line 2 to reach line 4
    assert run_from(3, 1) is None  # from the end line (index 3): it costs more than follows
    assert run_from(4, 1) == (8, 8)
    assert run_from(2, -1) == (0, 4)
    assert runs_from([(0, -2.0), (2, -1.0)])(0, 1) is None


def test_run_from_agrees_with_a_scan_from_every_line():
    def scan(scores, k, step):  # the plain definition: walk on from k, keep the first best end
        best, total, end = 0.0, 0.0, None
        for m in range(k, len(scores) if step == 1 else -1, step):
            total += scores[m][1]
            if total > best:
                best, end = total, m
        return None if end is None else tuple(sorted((scores[k][0], scores[end][0])))
    rng = random.Random(7)
    for _ in range(200):
        scores = [(2 * i, float(rng.choice([-120, -10, -2, -2, 0, 0.5 * rng.randint(1, 9), rng.randint(1, 40)])))
                  for i in range(rng.randint(1, 30))]
        run_from = runs_from(scores)
        for k in range(len(scores)):
            for step in (1, -1):
                assert run_from(k, step) == scan(scores, k, step), (scores, k, step)


def test_story_list_is_headlines_with_one_lede_each():
    lines = split_lines("Read more\nFerry strike ends after two weeks\nCrews voted on Friday to accept the new rota and return to work.\n"
                        "Council delays vote on parking rules\nThe council put off its vote on the new parking rules until June.")
    reasons = [None] * len(lines)
    assert story_list(lines, reasons, {0, 1}, (2, 4))
    article = split_lines("Read more\nFerry strike ends after two weeks\nThe crews voted on Friday.\nThe company agreed to a new rota.\n"
                          "Passengers welcomed the news on Saturday.")
    assert not story_list(article, [None] * len(article), {0}, (1, 4))


def test_comment_link_under_byline_opens_a_short_post():
    """A "Read comments (2)" link right below the byline is the post's header: it does not cut
    the short report that follows, though that report is below the usual core size."""
    lines = split_lines("\n".join([
        "Harriers name unchanged side", "By Tom Ashby", "Read comments (2)",
        "The manager has named the same eleven that won at Millbrook for this evening's derby at Quarry Lane.",
        "The captain, who limped off late on Saturday, passed a fitness test this morning and starts."]))
    scores = [(2, -2.0), (3, 17.0), (4, 16.0)]
    assert opens_article(lines, scores, 2, above=12.0, s=StripSettings())
    lines[1] = line_features(1, "Harriers name unchanged side")  # no byline above: a section mark
    assert not opens_article(lines, scores, 2, above=12.0, s=StripSettings())


def test_template_table_stays_bounded_and_is_rebuilt_rarely(monkeypatch):
    """Short lines that each recur a few times (near-duplicate copies) fill the table with
    counts above one: it must still be rebuilt once per half table of new lines at most, not
    for every document, and a line of every document keeps its full count."""
    from storydedup.pipeline.strip import template

    monkeypatch.setattr(template, "MAX_KEYS", 40)
    rebuilds, real = [], template.forget_rare
    monkeypatch.setattr(template, "forget_rare",
                        lambda counts, floor: (rebuilds.append(len(counts)), real(counts, floor))[1])

    def name(i: int) -> str:  # digits would be normalised away by line_key
        return "".join(chr(97 + int(d)) for d in str(i))

    # line i of each kind comes back in the next document: nearly every count reaches 2
    docs = ({"id": str(i), "text": f"Menu\nline {name(i)}\nline {name(i + 1)}\nitem {name(i // 2)}"}
            for i in range(2000))
    found = template.build_template(docs)
    assert found["sites"]["*"]["lines"][template.line_key("Menu")] == 2000
    assert rebuilds and max(rebuilds) <= 40 + 4  # full by at most one document's lines
    assert len(rebuilds) <= 3 * 2000 // (40 // 2) + 1


_WORDY = st.text(alphabet=st.sampled_from(list("ab1 '’-.|İ\u0307é\tЖ中_")), max_size=60)


@given(_WORDY, st.integers(0, 8))
@hsettings(max_examples=400, deadline=None)
def test_long_line_test_counts_words_as_findall_does(text, n):
    """line_key turns down long lines by a possessive pattern instead of cutting them into
    words: both must agree on every text, apostrophes, digits and case-folding included."""
    from storydedup.pipeline.strip.lines import WORD

    low = text.lower()
    assert (template.more_words_than(n).match(low) is not None) == (len(WORD.findall(low)) > n)
    words = WORD.findall(template.DIGITS.sub("0", low))
    expected = None if not words or len(words) > n else xxhash.xxh64_hexdigest(" ".join(words).encode("utf-8"))
    assert template.line_key(text, n) == expected


def test_long_lines_are_matched_only_by_rules_that_allow_their_length(tmp_path):
    """A line is tried against the rules whose max_words allows it, in file order; looking for
    only those rules' pieces in a long line gives the answer a rule-by-rule check gives."""
    path = tmp_path / "limits.toml"
    path.write_text("[group.short]\naction = 'drop'\nlines = ['.*\\bpromo\\b.*']\n"
                    "[group.mid]\naction = 'drop'\nmax_words = 30\nlines = ['.*\\bpromo\\b.*', '.*\\bbox\\b.*']\n"
                    "[group.long]\naction = 'drop'\nmax_words = 80\nlines = ['.*\\b(?:promo|box|ad)\\b.*']\n")
    rules = load_rules([str(path)])
    words = "word " * 100
    for n, expected in ((3, "short"), (12, "short"), (13, "mid"), (30, "mid"), (31, "long"), (80, "long"), (81, None)):
        line = "promo " + words[:5 * (n - 1)].strip()
        assert len(line.split()) == n
        found = rules.match(line, n)
        reference = first_match_of_all(rules, line, n)
        assert (found.group if found else None) == expected == (reference.group if reference else None)
    line = "a box " + words[:5 * 40].strip()
    assert rules.match(line, 42).group == "long" and rules.finder_for(42) is rules.finder_for(80)
    assert rules.finder_for(81) is None and rules.finder_for(5) is not rules.finder_for(25)
    # only the allowed rules' pieces: the long rule's alternation has none to look for
    assert rules.finder_for(20)("a box and a promo") == {"box", "promo"} and rules.finder_for(50)("a box and a promo") == set()


def test_stopwords_are_the_default_lists_top_words():
    """The stop words are read from wordfreq's small lists for speed; they must be the words
    the default lists put on top, or results would depend on that choice."""
    from wordfreq import top_n_list

    from storydedup.pipeline.strip.lines import STOPWORD_LANGS, stopwords

    assert stopwords() == frozenset(w for lang in STOPWORD_LANGS for w in top_n_list(lang, 80))


def test_text_lines_read_each_line_as_split_lines_does():
    from storydedup.pipeline.strip.lines import split_lines, text_lines

    text = "\n".join(["  • İSTANBUL’da 3 kişi  ", "", "12) Numbered item here", "- a", "\t", "Ünïcödé  words, and more.",
                      "— dash led line", "x" * 70, "Don't stop"])
    full, plain = split_lines(text), text_lines(text)
    assert [(ln.index, ln.raw, ln.text, ln.words, ln.empty) for ln in full] == \
        [(ln.index, ln.raw, ln.text, ln.words, ln.empty) for ln in plain]
    assert [ln.words for ln in plain] == [4, 0, 3, 1, 0, 4, 3, 1, 2]


@given(st.text(alphabet=st.sampled_from("ab İΣ’'\n\t\r\x1c •-—12).:_²𝐀😀\u0307"), max_size=80))
@hsettings(max_examples=200, deadline=None)
def test_text_lines_agree_with_split_lines_on_any_text(text):
    from storydedup.pipeline.strip.lines import split_lines_uncached, text_lines

    assert [(ln.index, ln.raw, ln.text, ln.words, ln.empty) for ln in split_lines_uncached(text)] == \
        [(ln.index, ln.raw, ln.text, ln.words, ln.empty) for ln in text_lines(text)]
