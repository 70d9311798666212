"""Scorers checked on hand-built cases with values worked out by hand, plus sanity checks on the
real evaluation sets (skipped when ../shared/eval is not beside the checkout)."""
import gzip
import json
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from storydedup.pipeline.evaluation import (
    boilerplate_failures, cluster_errors, pair_errors,
    body_units, contains_snippet, format_report, load_output, lookup, norm_exact,
    score_boilerplate, score_clusters, score_encoding, score_set,
    score_html_snippets, score_near_dup_links, score_pairs, token_prf, tokens,
)

EVAL = Path(__file__).resolve().parents[1].parent / "shared" / "eval"
needs_eval = pytest.mark.skipif(not EVAL.is_dir(), reason=f"evaluation sets not found at {EVAL}")


def _rows(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --- tokens and snippets -------------------------------------------------------------------

def test_tokens_nfkc_lowercase_words():
    assert tokens("Hello, WORLD! \ufb01ne — it's 42") == ["hello", "world", "fine", "it", "s", "42"]
    assert tokens(None) == [] and tokens("") == []


def test_snippet_must_be_contiguous_run_of_whole_tokens():
    out = tokens("The cat sat on the mat.")
    assert contains_snippet(out, "cat  SAT, on")
    assert not contains_snippet(out, "cat on")          # not contiguous
    assert not contains_snippet(out, "at sat")          # partial token
    assert contains_snippet(out, "“the mat”")           # quotes and punctuation ignored


def test_norm_exact_ignores_quote_style_and_spacing():
    assert norm_exact("  “Hi”\n\n it’s  here ") == norm_exact('"Hi" it\'s here')
    assert norm_exact("a b") != norm_exact("a  c")


# --- boilerplate ---------------------------------------------------------------------------

def test_token_prf_bags_and_optional_forgiveness():
    p, r, f = token_prf(tokens("a b c d"), tokens("a b c x"))
    assert (p, r) == (0.75, 0.75) and f == pytest.approx(0.75)
    # the surplus "title" token matches an optional line, so it is not counted against precision
    p, r, _ = token_prf(tokens("title a b"), tokens("a b"), tokens("title"))
    assert (p, r) == (1.0, 1.0)
    # a repeated token is only forgiven as many times as the optional lines contain it
    p, _, _ = token_prf(tokens("t t a b"), tokens("a b"), tokens("t"))
    assert p == pytest.approx(2 / 3)
    assert token_prf([], tokens("a b"), []) == (0.0, 0.0, 0.0)


def test_body_units_keep_long_sentences_and_fall_back_to_with():
    body = "Short line here.\nOne two three four five six seven eight. Nine ten.\nA b c d e f g h i"
    assert body_units({"body": body}) == ["One two three four five six seven eight.", "A b c d e f g h i"]
    assert body_units({"body": None, "with": ["x y", "..."]}) == ["x y"]


GOLD = [
    {"id": "d1", "source": "s", "body": "Alpha beta gamma delta epsilon zeta eta theta. Iota.",
     "optional": ["Headline"], "with": [],
     "leak": [{"text": "great post", "kind": "comment"}, {"text": "sign up now", "kind": "newsletter"},
              {"text": "more stories", "kind": "related"}]},
    {"id": "d2", "source": "s", "body": None, "optional": [],
     "with": ["one two three"], "leak": [{"text": "first!", "kind": "comment"}]},
]


def test_score_boilerplate_perfect_and_leaky_outputs():
    perfect = score_boilerplate(GOLD, {"d1": GOLD[0]["body"], "d2": "one two three"})
    assert perfect["token_f1_mean"] == 1.0 and perfect["exact_match"] == 1.0
    assert perfect["comment_leak_rate"] == 0.0 and perfect["body_loss_rate"] == 0.0
    leaky = score_boilerplate(GOLD, {
        "d1": "Headline\n" + GOLD[0]["body"] + "\nGreat post!\nMore stories",
        "d2": "one two three. First!"})
    assert leaky["token_recall_mean"] == 1.0 and leaky["exact_match"] == 0.0
    # d1 leaks 1 of its 2 comment/newsletter items, d2 leaks 1 of 1 -> pooled 2/3
    assert leaky["comment_leak_rate"] == pytest.approx(0.6667)
    assert leaky["comment_leak_doc_mean"] == 0.75 and leaky["comment_leak_doc_share"] == 1.0
    assert leaky["other_leak_rate"] == 1.0
    # kind by kind: both comments leak, the newsletter box does not, the related list does
    assert leaky["leak_rate_by_kind"] == {"comment": 1.0, "newsletter": 0.0, "related": 1.0}
    # 9 body tokens; "great post" and "more stories" are surplus, "headline" is forgiven: P = 9 / 13
    assert leaky["token_precision_mean"] == pytest.approx(9 / 13, abs=1e-4)
    empty = score_boilerplate(GOLD, {})
    assert empty["token_f1_mean"] == 0.0 and empty["body_loss_rate"] == 1.0
    assert empty["by_source"]["s"]["docs"] == 2
    assert "by_split" not in empty and "by_lang" not in empty and "by_split_lang" not in empty


def test_score_boilerplate_breaks_down_by_split_and_language():
    gold = [dict(GOLD[0], split="tune", lang="de"), dict(GOLD[0], id="d3", split="heldout", lang="pl")]
    m = score_boilerplate(gold, {"d1": GOLD[0]["body"], "d3": ""})
    assert m["by_split"]["tune"]["token_f1_mean"] == 1.0 and m["by_split"]["heldout"]["token_f1_mean"] == 0.0
    assert m["by_lang"] == {"de": m["by_split"]["tune"], "pl": m["by_split"]["heldout"]}
    assert m["by_split_lang"] == {"tune/de": m["by_split"]["tune"], "heldout/pl": m["by_split"]["heldout"]}
    gold.append(dict(GOLD[0], id="d4", split="heldout", lang="de"))
    crossed = score_boilerplate(gold, {"d1": GOLD[0]["body"], "d3": "", "d4": GOLD[0]["body"]})["by_split_lang"]
    assert crossed["heldout/de"]["token_f1_mean"] == 1.0 and crossed["heldout/pl"]["token_f1_mean"] == 0.0
    assert crossed["tune/de"]["docs"] == 1 and crossed["heldout/de"]["docs"] == 1



def test_group_rows_carry_each_leak_kind():
    gold = [dict(GOLD[0], split="tune"), dict(GOLD[1], split="heldout")]
    leaky = "Headline\n" + GOLD[0]["body"] + "\nGreat post!\nMore stories"
    rows = score_boilerplate(gold, {"d1": leaky, "d2": "one two three"})["by_split"]
    # the tune page keeps its comment and related list and drops the newsletter box; pooled,
    # comment and newsletter give 0.5, which the kinds take apart
    assert rows["tune"]["comment_leak_rate"] == 0.5
    assert (rows["tune"]["leak_comment"], rows["tune"]["leak_newsletter"], rows["tune"]["leak_related"]) == (1.0, 0.0, 1.0)
    # a group holds only the kinds its gold lists
    assert rows["heldout"]["leak_comment"] == 0.0 and "leak_newsletter" not in rows["heldout"]
