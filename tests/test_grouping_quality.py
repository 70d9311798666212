"""Grouping rules on small hand-made reports: what must join and what must stay apart."""
from __future__ import annotations

import random
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from storydedup.pipeline.cluster.levels import ClusterSettings, cluster
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures
from storydedup.pipeline.signatures.story_input import prose_lines, story_record, with_headline
from storydedup.pipeline.cluster.term_candidates import heaviest_terms, merge_pairs, shared_term_pairs

# Two accounts of one (invented) port strike, written independently: few shared word runs,
# many shared names, places and figures.
STRIKE_A = """Dockers walk out at Kettleport as pay talks collapse

Dock workers at the port of Kettleport walked out on Tuesday after talks over pay collapsed,
halting container traffic at the Marrowby terminal. The Harbour Workers Union said 1,400 members
joined the strike, which followed the dismissal of crane operator Olek Varsand last week.
Terminal operator Greyline Logistics called the stoppage unlawful and said ships would be
diverted to Tessport until the dispute is settled. Varsand, who has worked at the terminal for
nineteen years, was dismissed after refusing an extra night shift. Union secretary Ilse Dornwell
told reporters outside the Marrowby gates that members would stay out until he was reinstated
and the 4.5 percent offer was improved. About thirty ships were waiting in the bay on Tuesday
evening, according to the Kettleport harbour master."""

STRIKE_B = """Kettleport terminal at standstill

Container handling at the Marrowby terminal in Kettleport stopped on Tuesday as about 1,400
dockers began an open-ended strike. Their union, the Harbour Workers Union, blamed Greyline
Logistics for sacking crane driver Olek Varsand and for breaking off wage negotiations.
Greyline described the action as illegal and began rerouting vessels to Tessport, a spokesman
for the company said. Harbour master figures showed around thirty ships at anchor off
Kettleport by the evening. Ilse Dornwell, secretary of the union, said the walkout would last
until Varsand got his job back and the 4.5 percent pay offer was raised. Varsand, a crane
driver for nineteen years, was dismissed for turning down an additional night shift."""

# Same topic (a port labour dispute), different story: other port, other people, other outcome.
OTHER_PORT = """Velhaven dockers accept new pay offer

Dock workers at the port of Velhaven voted on Thursday to accept a revised pay offer from
Ostrand Shipping, ending a three-week dispute that had slowed grain exports. The Velhaven
Dockers Association said 82 percent of its 900 members backed the deal, which raises wages by
six percent over two years. Ostrand said normal loading would resume at the weekend. Grain traders had warned that
more than forty bulk carriers were delayed by the overtime ban, and farmers in the Lindal
valley complained of full silos. Association chairman Pieter Hollum said the agreement also
limits weekend shifts and adds two training places for young crane drivers each year. The
harbour authority said it expected the backlog to clear within ten days."""

TEMPLATE_TOP = """Home | World | Business | Sport | Weather
We use cookies and similar technologies to give you the full range of our services, to
personalise content and to show advertising; by continuing to use this website you agree to
our use of cookies, which you can change at any time in your privacy settings."""
TEMPLATE_BOTTOM = """Sign up for our morning newsletter and get the most important stories of the day
delivered to your inbox before breakfast, free of charge and without advertising.
Copyright The Example Courier. All rights reserved. Contact | Privacy | Terms"""

VOCAB = [f"v{i}" for i in range(5000)]


def prose(seed: int, n_words: int) -> str:
    rng = random.Random(seed)
    sentences = [" ".join(rng.choice(VOCAB) for _ in range(16)) + "." for _ in range(n_words // 16)]
    return "\n".join(" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3))


def group(recs, sig=SignatureSettings(), cs=ClusterSettings()):
    assignments, _, _ = cluster(compute_signatures(recs, sig), cs)
    return assignments


def test_short_reports_inside_one_template_are_not_duplicates():
    recs = [{"id": f"page{i}", "text": f"{TEMPLATE_TOP}\n{prose(200 + i, 96)}\n{TEMPLATE_BOTTOM}"}
            for i in range(4)]
    assignments = group(recs)
    assert len({a["dup_cluster"] for a in assignments.values()}) == 4
    assert len({a["story_cluster"] for a in assignments.values()}) == 4


def test_truncated_copy_joins_its_original():
    full = prose(7, 480)
    recs = [{"id": "full", "text": full}, {"id": "cut", "text": full[: int(len(full) * 0.6)]},
            {"id": "other", "text": prose(8, 480)}]
    assignments = group(recs)
    assert assignments["full"]["dup_cluster"] == assignments["cut"]["dup_cluster"]
    assert assignments["other"]["dup_cluster"] != assignments["full"]["dup_cluster"]


def test_same_story_in_other_words_joins_the_story_not_the_duplicate():
    recs = [{"id": "a", "text": STRIKE_A}, {"id": "b", "text": STRIKE_B}, {"id": "c", "text": OTHER_PORT}]
    assignments = group(recs)
    assert assignments["a"]["story_cluster"] == assignments["b"]["story_cluster"]
    assert assignments["a"]["dup_cluster"] != assignments["b"]["dup_cluster"]


def test_same_topic_different_story_stays_apart():
    recs = [{"id": "a", "text": STRIKE_A}, {"id": "b", "text": STRIKE_B}, {"id": "c", "text": OTHER_PORT}]
    assignments = group(recs)
    assert assignments["c"]["story_cluster"] not in {assignments["a"]["story_cluster"],
                                                     assignments["b"]["story_cluster"]}


def test_shared_heavy_terms_find_story_pairs_that_lsh_misses():
    recs = [{"id": "a", "text": STRIKE_A}, {"id": "b", "text": STRIKE_B}]
    strict_lsh = dict(story_lsh_threshold=0.95)  # LSH alone hardly proposes anything
    joined = group(recs, cs=ClusterSettings(**strict_lsh))
    alone = group(recs, cs=ClusterSettings(story_shared_terms=0, **strict_lsh))
    assert joined["a"]["story_cluster"] == joined["b"]["story_cluster"]
    assert alone["a"]["story_cluster"] != alone["b"]["story_cluster"]


def test_shared_term_pairs_match_a_direct_count():
    rng = np.random.default_rng(7)
    rows = [rng.choice(30, size=rng.integers(0, 9), replace=False) for _ in range(60)]
    offsets = np.cumsum([0] + [len(r) for r in rows])
    terms = np.concatenate([np.sort(r) for r in rows]).astype(np.uint64)
    weights = rng.random(len(terms)).astype(np.float32)
    top, min_shared, max_posting = 4, 2, 6
    heavy = {}
    for i in range(len(rows)):
        lo, hi = offsets[i], offsets[i + 1]
        order = np.argsort(-weights[lo:hi].astype(np.float64), kind="mergesort")[:top]
        heavy[i] = set(terms[lo:hi][order].tolist())
    posting = {}
    for i, ts in heavy.items():
        for t in ts:
            posting.setdefault(t, []).append(i)
    short = {t for t, docs in posting.items() if len(docs) <= max_posting}
    expected = [[i, j] for i in range(len(rows)) for j in range(i + 1, len(rows))
                if len(heavy[i] & heavy[j] & short) >= min_shared]
    assert expected  # the draw has pairs to find
    assert shared_term_pairs(terms, weights, offsets, top, min_shared, max_posting).tolist() == expected


def test_shared_term_pairs_counts_heavy_terms_and_skips_long_postings():
    # rows: 0 = {1,2,3}, 1 = {1,2,9}, 2 = {1,7,8}, 3..5 = {50}; term 50 has a posting of 3 rows
    rows = [[(1, .9), (2, .8), (3, .1)], [(1, .9), (2, .5), (9, .4)], [(1, .2), (7, .9), (8, .9)],
            [(50, 1.0)], [(50, 1.0)], [(50, 1.0)]]
    offsets = np.cumsum([0] + [len(r) for r in rows])
    terms = np.array([t for r in rows for t, _ in r], dtype=np.uint64)
    weights = np.array([w for r in rows for _, w in r], dtype=np.float32)
    assert shared_term_pairs(terms, weights, offsets, 3, 2, 10).tolist() == [[0, 1]]
    assert shared_term_pairs(terms, weights, offsets, 3, 1, 10).tolist() == \
        [[0, 1], [0, 2], [1, 2], [3, 4], [3, 5], [4, 5]]
    # postings of at most 2 rows: only term 2 (rows 0 and 1) survives
    assert shared_term_pairs(terms, weights, offsets, 3, 1, 2).tolist() == [[0, 1]]
    # only the heaviest term of each row: row 2's heaviest are 7/8, so it shares nothing
    assert sorted(heaviest_terms(terms, weights, offsets, 1)[1].tolist())[:2] == [1, 1]
    assert shared_term_pairs(terms, weights, offsets, 1, 1, 10).tolist() == [[0, 1], [3, 4], [3, 5], [4, 5]]


def test_merge_pairs_is_a_sorted_union():
    a = np.array([[0, 2], [1, 3]])
    b = np.array([[0, 2], [0, 1]])
    assert merge_pairs(a, b, 4).tolist() == [[0, 1], [0, 2], [1, 3]]
    assert merge_pairs(a[:0], b[:0], 4).shape == (0, 2)


def test_headline_is_the_short_first_line_only():
    rec = {"id": "x", "text": "Dockers walk out at Kettleport\n\nDock workers at the port ..."}
    assert with_headline(rec, 20)["title"] == "Dockers walk out at Kettleport"
    assert "title" not in rec  # the record itself is untouched
    assert with_headline(rec, 3) is rec  # first line too long to be a headline
    titled = {**rec, "title": "Given title"}
    assert with_headline(titled, 20) is titled
    assert with_headline(rec, 0) is rec


CHROME_TEASERS = """Quennel Varga Stuns at Marlowe's (4)
Ostby Lights Festival Photos (12)
Hottest Brindlemoor Parties of 2009!
Tavish Orrin Quits Calloway Show
Zelmar | Quorra | Ventnick"""


def test_teaser_lines_left_by_stripping_do_not_make_one_story():
    recs = [{"id": f"p{i}", "text": f"{CHROME_TEASERS}\n{prose(300 + i, 96)}\n{CHROME_TEASERS}"}
            for i in range(4)]
    assignments = group(recs)
    assert len({a["story_cluster"] for a in assignments.values()}) == 4


def test_prose_lines_drop_short_lines_unless_too_little_remains():
    text = "Menu | News\nDock workers at the port walked out on Tuesday after pay talks\nShare"
    assert prose_lines(text, 7, 5) == "Dock workers at the port walked out on Tuesday after pay talks"
    assert prose_lines(text, 7, 40) == text  # a short item keeps everything
    assert prose_lines(text, 1, 5) == text


def test_story_record_reads_headline_and_prose_without_touching_the_record():
    rec = {"id": "x", "text": "Dockers strike at Kettleport\nHome | News\n" + prose(1, 64)}
    seen = story_record(rec, 20, 7, 40)
    assert seen["title"] == "Dockers strike at Kettleport"
    assert "Home | News" not in seen["text"] and prose(1, 64) in seen["text"]
    assert "title" not in rec and rec["text"].startswith("Dockers strike")


def _prose_lines_by_definition(text: str, min_line: int, min_kept: int) -> str:
    if min_line <= 1 or "\n" not in text:
        return text
    kept = [line for line in text.split("\n") if len(re.findall(r"\w+", line)) >= min_line]
    return "\n".join(kept) if sum(len(re.findall(r"\w+", k)) for k in kept) >= min_kept else text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["dock", "Kettleport", "é", "1,400", " ", "  ", "|", "-", "—", "\n", "\n\n",
                                 "l'économie", "O'Neill", "x_y", "!"]), max_size=80),
       st.integers(0, 9), st.integers(0, 30))
def test_prose_lines_matches_its_line_by_line_definition(pieces, min_line, min_kept):
    text = "".join(pieces)
    assert prose_lines(text, min_line, min_kept) == _prose_lines_by_definition(text, min_line, min_kept)


LONG_CHROME = "\n".join([
    "We use cookies and similar technologies to give you the full range of our services.",
    "They personalise content and advertising and help us understand how the site is used.",
    "By continuing to use this website you agree to our use of cookies and to our terms.",
    "You can change your choice at any time in the privacy settings at the foot of each page.",
    "Sign up for our morning newsletter and get the most important stories of the day.",
    "It arrives in your inbox before breakfast, free of charge and without any advertising.",
    "The Example Courier is an independent newspaper owned by its readers since 1921.",
    "Support our journalism today and help us keep every article free for everyone to read.",
    "Copyright The Example Courier and its licensors; all rights are reserved worldwide.",
])


def template_pages():
    short = [{"id": f"short{i}", "text": f"{LONG_CHROME}\n{prose(400 + i, 48)}"} for i in range(3)]
    long = [{"id": f"long{i}", "text": f"{LONG_CHROME}\n{prose(500 + i, 480)}"} for i in range(2)]
    return short + long


def test_short_reports_in_a_heavy_template_are_told_apart_by_recurring_lines():
    recs = template_pages()
    merged = group(recs, cs=ClusterSettings(template_docs=0))
    apart = group(recs)
    assert len({merged[f"short{i}"]["dup_cluster"] for i in range(3)}) == 1  # the template dominates
    assert len({apart[r["id"]]["dup_cluster"] for r in recs}) == len(recs)


def test_a_body_copied_many_times_with_edits_stays_one_cluster():
    base = prose(600, 320)
    copies = [{"id": f"copy{i}", "text": edit_words(base, 0.04, i)} for i in range(6)]
    recs = [{"id": "base", "text": base}] + copies + template_pages()
    assignments = group(recs)
    assert len({assignments[r["id"]]["dup_cluster"] for r in recs[:7]}) == 1


def edit_words(text: str, rate: float, seed: int) -> str:
    rng = random.Random(seed)
    return "\n".join(" ".join(rng.choice(VOCAB) if rng.random() < rate else w for w in line.split(" "))
                     for line in text.split("\n"))


RARE_CHROME = "\n".join([
    "Quennel Varga stuns the crowd at Marlowe's Ostby Lights festival tonight",
    "Tavish Orrin quits the Calloway show after Brindlemoor row with Zelmar",
    "Win tickets to the Quorra Ventnick gala with the Ostby Courier club",
])


def test_pages_of_one_template_need_more_to_share_a_story():
    recs = [{"id": f"p{i}", "text": f"{RARE_CHROME}\n{prose(700 + i, 96)}\n{RARE_CHROME}"} for i in range(4)]
    plain = group(recs, cs=ClusterSettings(story_template_factor=1.0))
    strict = group(recs)
    assert len({a["story_cluster"] for a in plain.values()}) < 4  # the chrome alone links them
    assert len({a["story_cluster"] for a in strict.values()}) == 4


# One invented French story told twice, with straight and curly elision apostrophes.
FR_A = """Grève au port de Kettleport : l'activité du terminal Marrowby est paralysée

Les dockers du port de Kettleport ont cessé le travail mardi après l'échec des négociations
salariales. Selon l'Union des travailleurs du port, 1400 adhérents participent à la grève,
déclenchée par le licenciement du grutier Olek Varsand. L'opérateur Greyline Logistics juge
l'arrêt illégal et détourne les navires vers Tessport. D'après la capitainerie, une trentaine
de bateaux attendaient au large mardi soir."""

FR_B = """Kettleport : les dockers en grève, Greyline Logistics dénonce un mouvement illégal

À Kettleport, le terminal Marrowby est à l’arrêt depuis mardi : environ 1400 dockers ont
rejoint la grève lancée par l’Union des travailleurs du port. Le syndicat reproche à Greyline
Logistics d’avoir licencié le grutier Olek Varsand et d’avoir rompu les discussions sur les
salaires. L’entreprise a commencé à dérouter ses navires vers Tessport ; une trentaine de
bateaux patientaient au large, selon la capitainerie."""


def test_french_reports_with_either_apostrophe_join_one_story():
    recs = [{"id": "a", "text": FR_A}, {"id": "b", "text": FR_B}, {"id": "c", "text": OTHER_PORT}]
    assignments = group(recs)
    assert assignments["a"]["story_cluster"] == assignments["b"]["story_cluster"]
    assert assignments["a"]["dup_cluster"] != assignments["b"]["dup_cluster"]
    assert assignments["c"]["story_cluster"] != assignments["a"]["story_cluster"]
