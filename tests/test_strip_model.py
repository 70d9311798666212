"""The learned strip model: training on data made here, determinism, decisions, explanations."""
from __future__ import annotations

import random

import pytest

from storydedup.pipeline.strip import StripSettings, build_template, load_rules, rule_paths, strip_record
from storydedup.pipeline.strip.model import RuleScan, StripModel, decide_batch
from storydedup.pipeline.strip.model.synth import synthetic_pages
from storydedup.pipeline.strip.model.train import TrainConfig, train_model

from conftest import document, sentence


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    rng = random.Random(7)
    docs = [document(rng, i) for i in range(60)]
    cfg = TrainConfig(rounds={"stage1": 15, "comment": 10, "stage2": 10}, folds=2, batch=20, min_data_in_leaf=5,
                      threshold=0.5, threshold_removed=0.5, synthetic=20, members=2)
    model = train_model(docs, rule_paths(), cfg, log=lambda _msg: None)
    path = tmp_path_factory.mktemp("model") / "strip.json.gz"
    model.save(str(path))
    again = tmp_path_factory.mktemp("model") / "again.json.gz"
    train_model(docs, rule_paths(), cfg, log=lambda _msg: None).save(str(again))
    return path, again


def test_training_is_reproducible(trained):
    path, again = trained
    assert path.read_bytes() == again.read_bytes()


def test_members_come_from_different_seeds_and_the_model_scores_their_mean(trained):
    import gzip
    import json

    import numpy as np

    from storydedup.pipeline.strip.model.features import featurize

    model = StripModel.load(str(trained[0]))
    assert len(model.members) == 2 and model.info["seeds"][0] != model.info["seeds"][1]
    plain = model.unreached  # its rows need no heuristics' columns
    assert plain.members[0].stage1.text != plain.members[1].stage1.text
    batch = featurize([document(random.Random(5), 500)["text"]], model.vocab, RuleScan(rule_paths()))
    p_bp, p_com, x2 = plain.predict(batch)
    each = [m.predict(batch) for m in plain.members]
    assert not np.allclose(each[0][0], each[1][0])  # the seeds make a difference to be averaged
    assert np.allclose(p_bp, (each[0][0] + each[1][0]) / 2) and np.allclose(p_com, (each[0][1] + each[1][1]) / 2)
    assert len(x2) == 2 and all(np.array_equal(a, b[2]) for a, b in zip(x2, each))
    data = json.loads(gzip.decompress(trained[0].read_bytes()))
    for old in ("storydedup-strip-model/1", "storydedup-strip-model/2"):  # one member; no comment thresholds
        data["format"] = old
        with pytest.raises(ValueError, match="retrain"):
            StripModel.from_dict(data, "old.json.gz")


def test_lines_called_comments_are_removed_from_a_lower_score(trained):
    """A line whose mean P(comment | boilerplate) reaches ``comment_share`` goes from
    ``threshold_comment`` on when that is below its other threshold, never from a higher one."""
    import numpy as np

    model = StripModel.load(str(trained[0]))
    model.threshold, model.threshold_removed, model.threshold_comment, model.comment_share = 0.9, 0.05, 0.3, 0.7
    p_com = np.array([0.1, 0.7, 0.9, 0.9])
    old = np.array([False, False, False, True])
    assert model.cuts(p_com, old).tolist() == [0.9, 0.3, 0.3, 0.05]

    scan, rules, settings = RuleScan(rule_paths()), load_rules(rule_paths()), StripSettings()
    rng = random.Random(11)
    docs = [document(rng, 600 + i) for i in range(6)]
    recs = [{"id": d["id"], "text": d["text"]} for d in docs]
    for judge in (model, model.unreached):  # the boilerplate score alone removes nothing
        judge.threshold = judge.threshold_removed = 1.01
        judge.threshold_comment, judge.comment_share = 0.2, 1.01
    assert not any(r for d in decide_batch(recs, model, scan, settings, rules, {}) for r in d.reasons)
    for judge in (model, model.unreached):
        judge.comment_share = 0.5
    routed = decide_batch(recs, model, scan, settings, rules, {})
    notes = [n for d in routed for n in d.notes.values()]
    assert notes and all(n["label"] == "comment" and n["score"] >= 0.2 for n in notes)
    removed = {(d, i) for d, dec in enumerate(routed) for i, r in enumerate(dec.reasons) if r}
    assert sum(docs[d]["lines"][i] == "body" for d, i in removed) <= len(removed) // 4  # mostly the thread


def test_model_strips_and_explains(trained):
    model = StripModel.load(str(trained[0]))
    rules = load_rules(rule_paths())
    rec = document(random.Random(99), 999)
    rec = {"id": rec["id"], "text": rec["text"]}
    settings = StripSettings()
    [decision] = decide_batch([rec], model, RuleScan(rule_paths()), settings, rules, build_template([rec]))
    original = rec["text"]
    counters = strip_record(rec, settings, rules, {}, decision)
    body = [ln for ln in original.split("\n") if ln.endswith(".")]
    assert all(ln in rec["text"] for ln in body)  # the prose stays
    assert "Privacy policy" not in rec["text"].split("\n") or "Home" not in rec["text"].split("\n")
    notes = rec["notes"]["strip"]
    assert notes["by"] == "model" and notes["removed"]
    for span in notes["removed"]:
        assert span["by"] in ("model:comment", "model:boilerplate")
        assert 0.0 <= span["score"] <= 1.0 and span["why"]  # every removal says why
    assert sum(v for k, v in counters.items() if k.startswith("model:")) == \
        sum(v for k, v in counters.items() if k.startswith("reason:"))


def test_extractor_output_and_short_texts_keep_the_rules_path(trained):
    model = StripModel.load(str(trained[0]))
    recs = [{"id": "a", "text": "One short line.\nAnother one."},
            {"id": "b", "text": "x\n" * 50, "notes": {"extract": {"method": "trafilatura"}}}]
    found = decide_batch(recs, model, RuleScan(rule_paths()), StripSettings(), load_rules(rule_paths()), {})
    assert found[1] is None  # extracted: rules and cut only, as before
    assert found[0] is None or not any(found[0].reasons)  # too short to judge: untouched


def test_synthetic_pages_frame_real_bodies_in_many_languages():
    rng = random.Random(3)
    docs = [document(rng, i) for i in range(12)]
    pages = synthetic_pages(docs, 12, seed=5)
    assert pages == synthetic_pages(docs, 12, seed=5)  # the same seed gives the same pages
    bodies = {ln for d in docs for ln, lab in zip(d["text"].split("\n"), d["lines"]) if lab == "body"}
    labels = set()
    for page in pages:
        lines = page["text"].split("\n")
        assert len(lines) == len(page["lines"])
        for line, label in zip(lines, page["lines"]):
            assert (label is None) == (line == "")
            if label == "body":
                assert line in bodies  # bodies are real training lines, never generated
        labels |= set(page["lines"])
    assert {"body", "comment", "chrome"} <= labels
    chrome = " ".join(ln for p in pages for ln, lab in zip(p["text"].split("\n"), p["lines"]) if lab == "chrome")
    scripts = {"cyrillic": any("\u0400" <= ch <= "\u04ff" for ch in chrome),
               "arabic": any("\u0600" <= ch <= "\u06ff" for ch in chrome),
               "cjk": any("\u3040" <= ch <= "\u9fff" for ch in chrome)}
    assert sum(scripts.values()) >= 2, scripts  # controls and times come in several scripts


def test_one_line_comments_take_their_author_and_time_and_leave_other_pages_alone(monkeypatch):
    from storydedup.pipeline.strip.model import synth

    thread = [("Comments (12)", "chrome"), ("Sort: newest", "chrome"), ("anna_k", "chrome"),
              ("2 hours ago", "chrome"), ("I agree with this.", "comment"), ("And more.", "comment"),
              ("▲ 4 ▼ 1", "chrome"), ("bob", "chrome"), ("yesterday", "chrome"), ("No way.", "comment")]
    out = synth.inline(thread, random.Random(1))
    assert out[:2] == thread[:2]  # the thread's header and sort bar stay lines of their own
    comments = [line for line, label in out if label == "comment"]
    assert comments[0].startswith("anna_k 2 hours ago") and comments[0].endswith("I agree with this.")
    assert any(c.startswith("bob yesterday") and "No way." in c for c in comments)
    assert [lab for _, lab in out].count("chrome") < [lab for _, lab in thread].count("chrome")
    for other in ("HEADLESS_SHARE", "LONG_SHARE", "ICON_SHARE"):  # the inline layout alone
        monkeypatch.setattr(synth, other, 0.0)
    rng = random.Random(3)
    docs = [document(rng, i) for i in range(12)]
    pages = synthetic_pages(docs, 40, seed=5)
    monkeypatch.setattr(synth, "INLINE_SHARE", 0.0)
    plain = synthetic_pages(docs, 40, seed=5)
    changed = [a["id"] for a, b in zip(pages, plain) if a != b]
    assert 0 < len(changed) < 20  # the layout draws from its own generator: the other pages are as they were
    for a, b in zip(pages, plain):
        if a != b:  # the same page with its comments' heads joined to their lines: fewer lines
            assert len(a["lines"]) < len(b["lines"]) and a["text"].split("\n")[0] == b["text"].split("\n")[0]


def test_thread_variants_and_pictographs_keep_labels_and_leave_other_pages_alone(monkeypatch):
    from storydedup.pipeline.strip.model import synth

    thread = [("Comments (12)", "chrome"), ("Sort: newest", "chrome"), ("anna_k", "chrome"),
              ("2 hours ago", "chrome"), ("I agree with this.", "comment"), ("And more.", "comment"),
              ("▲ 4 ▼ 1", "chrome"), ("bob", "chrome"), ("yesterday", "chrome"), ("No way.", "comment")]
    assert synth.headless(thread, 2) == thread[2:]  # starts at the first comment's author
    joined = synth.long_comments(thread)
    assert ("I agree with this. And more.", "comment") in joined and len(joined) == len(thread) - 1
    marked = synth.with_icons(thread + [("A reader's comment that runs well past six words.", "chrome")],
                              random.Random(2))
    assert [lab for _, lab in marked[:-1]] == [lab for _, lab in thread] and marked[-1][0].startswith("A reader")
    led = [(line, old, lab) for (line, lab), (old, _) in zip(marked, thread) if line != old]
    assert led  # some short chrome lines, never comments, get a pictograph in front
    for line, old, lab in led:
        assert lab == "chrome" and line == f"{line[0]} {old}" and any(lo <= ord(line[0]) <= hi for lo, hi in synth.ICON_BLOCKS)
    rng = random.Random(3)
    docs = [document(rng, i) for i in range(12)]
    pages = synthetic_pages(docs, 60, seed=5)
    for share in ("HEADLESS_SHARE", "LONG_SHARE", "ICON_SHARE"):
        with monkeypatch.context() as m:
            m.setattr(synth, share, 0.0)
            changed = sum(a != b for a, b in zip(pages, synthetic_pages(docs, 60, seed=5)))
        assert 0 < changed < 30, share  # drawn from the page's own layout generator: the others stay


def test_translated_pages_keep_the_shape_of_their_lines_in_another_script():
    from storydedup.pipeline.strip.model.synth import relexify

    line = "The council said on Monday that the bridge, which cost 4.5 million, opens in 2025."
    zh = relexify(line, "zh", random.Random(1))
    assert " " not in zh and zh.endswith("。") and "4.5" in zh and "2025" in zh
    assert all(not ("a" <= ch.lower() <= "z") for ch in zh)  # every word is carried over
    pl = relexify(line, "pl", random.Random(1))
    assert pl[0].isupper() and pl.endswith(".") and pl.count(",") == 2 and len(pl.split()) == len(line.split())
    rng = random.Random(3)
    docs = [document(rng, i) for i in range(12)]
    bodies = {ln for d in docs for ln, lab in zip(d["text"].split("\n"), d["lines"]) if lab == "body"}
    carried = [ln for p in synthetic_pages(docs, 30, seed=5, relex_share=1.0)
               for ln, lab in zip(p["text"].split("\n"), p["lines"]) if lab == "body" and ln not in bodies]
    assert len(carried) > 50  # pages framed in another language than English carry their body over


def test_pages_no_rule_reaches_are_judged_without_the_heuristics(trained):
    from storydedup.pipeline.strip.model.features import featurize
    from storydedup.pipeline.strip.model.heuristics import old_reasons, rule_reach

    model = StripModel.load(str(trained[0]))
    assert model.unreached is not None and not model.unreached.stacked
    scan, rules, settings = RuleScan(rule_paths()), load_rules(rule_paths()), StripSettings()
    rng = random.Random(5)
    known = document(rng, 1)  # "12 comments", "Reply", "© 2024": lines of the rule files
    unknown = "\n".join(["Qwv zzt", "Plox vuu"] + [sentence(rng, 14) for _ in range(8)] + ["Vrrk 3", "Mlop mlop"])
    recs = [{"id": "k", "text": known["text"]}, {"id": "u", "text": unknown}]
    assert list(rule_reach(featurize([r["text"] for r in recs], model.vocab, scan)) > 0) == [True, False]
    assert not any(r and r.startswith("rule:") for r in old_reasons(recs, settings, rules, {})[1])

    def decide():
        return decide_batch(recs, model, scan, settings, rules, {})

    base = decide()
    model.unreached.threshold = 1.01  # the unreached model's threshold decides "u" alone
    kept = decide()
    model.unreached.threshold = 0.0
    cut = decide()
    assert kept[0].reasons == base[0].reasons == cut[0].reasons
    assert not any(kept[1].reasons) and any(cut[1].reasons)
    assert all(note["why"] for note in cut[1].notes.values())  # its removals are explained too
    alone = decide_batch(recs[1:], model, scan, settings, rules, {})
    assert alone[0].reasons == cut[1].reasons  # a page's path does not depend on its neighbours


def test_heuristics_skipped_only_where_they_would_not_be_read(trained):
    """A page no rule reaches runs the detectors only if a rule removes one of its lines: its
    decision is the same as with the heuristics run in full, and none of them explains it."""
    from storydedup.pipeline.strip.model.features import featurize
    from storydedup.pipeline.strip.model.heuristics import old_reasons, rule_reach

    model = StripModel.load(str(trained[0]))
    scan, rules, settings = RuleScan(rule_paths()), load_rules(rule_paths()), StripSettings()
    rng = random.Random(9)
    known = document(rng, 1)["text"]
    plain = "\n".join(["Qwv zzt"] + [sentence(rng, 14) for _ in range(9)] + ["Vrrk 3"])
    ruled = plain + "\nNote that we use cookies on this page."  # a "contains" rule, which no feature reads
    recs = [{"id": str(k), "text": t} for k, t in enumerate((known, plain, ruled))]
    assert list(rule_reach(featurize([r["text"] for r in recs], model.vocab, scan)) > 0) == [True, False, False]
    full = old_reasons(recs, settings, rules, {})
    skipped = old_reasons(recs, settings, rules, {}, [False, True, True])
    assert skipped[0] == full[0] and skipped[2] == full[2]
    assert not any(skipped[1]) and any(full[1])  # the detectors ran on the plain page only in full
    model.unreached.threshold = 0.0  # the unreached model removes lines of the plain page
    fast = decide_batch(recs, model, scan, settings, rules, {})
    slow = decide_batch(recs, model, scan, settings, rules, {}, heuristics=full)
    assert [d.reasons for d in fast] == [d.reasons for d in slow]
    assert fast[1].judge == "unreached" and any(fast[1].reasons) and fast[2].judge == "stacked"
    assert all(note["rule"] is None for note in fast[1].notes.values())
    assert [n["rule"] for n in fast[1].notes.values()] == [n["rule"] for n in slow[1].notes.values()]


def test_only_a_rule_removing_a_short_line_brings_the_heuristics_to_an_unreached_page():
    """A paragraph a rule would remove (a long cookie notice) does not make a page the rules'
    own; a line of up to ``reach_max_words`` words does."""
    from storydedup.pipeline.strip.model.heuristics import old_reasons

    rules, rng = load_rules(rule_paths()), random.Random(9)
    notice = ("We use cookies to improve your experience on our website and to show you content that we think "
              "you will like, and you can accept them or change your preferences at any time you want to.")
    plain = "\n".join(["Qwv zzt"] + [sentence(rng, 14) for _ in range(9)] + [notice])
    assert rules.match(notice, len(notice.split())).group == "cookies"  # 36 words: a rule removes it
    short = StripSettings(reach_max_words=25)
    assert not any(old_reasons([{"text": plain}], short, rules, {}, [True])[0])
    assert "rule:cookies" in old_reasons([{"text": plain}], StripSettings(reach_max_words=40), rules, {}, [True])[0]
    assert old_reasons([{"text": plain}], StripSettings(reach_max_words=40), rules, {}, [True]) == \
        old_reasons([{"text": plain}], short, rules, {})  # read in full, as without the check


def test_model_file_keeps_both_models(trained, tmp_path):
    model = StripModel.load(str(trained[0]))
    model.save(str(tmp_path / "copy.json.gz"))
    assert (tmp_path / "copy.json.gz").read_bytes() == trained[0].read_bytes()
    assert StripModel.load(str(tmp_path / "copy.json.gz")).unreached.threshold == model.unreached.threshold


def test_shared_vocabulary_counts_inflected_forms_as_one_word(monkeypatch):
    """A line whose words come back in the page's prose only inflected ("mieszkańców" above,
    "mieszkańcy" here) shares vocabulary with it; cut off at full length it shares none."""
    from storydedup.pipeline.strip.model import features
    from storydedup.pipeline.strip.model.features import build_vocab, feature_names, featurize

    prose = ("Według urzędu mieszkańców dzielnicy czeka przebudowa wodociągów, która potrwa "
             "przez całą jesień i obejmie kilka ulic w centrum miasta.")
    line = "Mieszkańcy dzielnic narzekają na przebudowę wodociągu."
    vocab = build_vocab()
    col = feature_names().index("prose_vocab")

    def shared(stem: int) -> float:
        monkeypatch.setattr(features, "STEM", stem)
        batch = featurize([f"{prose}\n{line}"], vocab)
        return float(batch.X[1, col])

    assert shared(features.STEM) > 0.5
    assert shared(64) == 0.0


def test_rule_features_try_patterns_that_start_with_a_digit_range(tmp_path):
    """Lines starting with any digit are looked up under one key: a pattern that starts with
    ``[1-9]`` must be filed there too, or no line could ever reach it."""
    from storydedup.pipeline.strip.model.rulescan import ACTIONS

    path = tmp_path / "votes.toml"
    path.write_text("[group.votes]\naction = \"thread\"\nlines = ['[1-9] (?:votes|points)', '0 votes']\n",
                    encoding="utf-8")
    scan = RuleScan([str(path)])
    thread = ACTIONS.index("thread") + 1
    assert scan.action("7 points") == thread
    assert scan.action("0 votes") == thread
    assert scan.action("seven points") == 0


@pytest.mark.slow
def model_differences(a, b, path: str = "", rel: float = 1e-6) -> list[str]:
    """Where two model files' contents differ, numbers in the trees' text compared to ``rel``:
    a split threshold is the midpoint of two float32 feature values, which can differ in their
    last bit between CPUs (two machines gave thresholds 3.9560283422 and 3.9560284615)."""
    import numpy as np

    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in sorted(a) for d in model_differences(a[k], b[k], f"{path}/{k}", rel)]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items against {len(b)}"]
        return [d for k, (x, y) in enumerate(zip(a, b)) for d in model_differences(x, y, f"{path}[{k}]", rel)]
    if isinstance(a, str) and isinstance(b, str) and "\n" in a:
        la, lb = a.split("\n"), b.split("\n")
        if len(la) != len(lb):
            return [f"{path}: {len(la)} lines against {len(lb)}"]
        out = []
        for i, (x, y) in enumerate(zip(la, lb)):
            if x == y:
                continue
            (kx, _, vx), (ky, _, vy) = x.partition("="), y.partition("=")
            try:
                same = kx == ky and np.allclose(np.array(vx.split(), float), np.array(vy.split(), float), rtol=rel, atol=0)
            except ValueError:
                same = False
            if not same:
                out.append(f"{path} line {i + 1}: {x[:80]!r} != {y[:80]!r}")
        return out
    return [] if a == b else [f"{path}: {str(a)[:80]!r} != {str(b)[:80]!r}"]


def test_model_differences_see_structure_and_values_but_not_float_noise():
    tree = "Tree=0\nsplit_feature=3 5\nthreshold=3.9560283422470097 0.5\nleaf_value=0.1 -0.2\n"
    model = {"stage1": tree, "info": {"seed": 1}}
    assert model_differences(model, {"stage1": tree.replace("3.9560283422470097", "3.9560284614562993"), "info": {"seed": 1}}) == []
    assert model_differences(model, {"stage1": tree.replace("3.9560283422470097", "3.9570283422470097"), "info": {"seed": 1}})
    assert model_differences(model, {"stage1": tree.replace("split_feature=3 5", "split_feature=3 6"), "info": {"seed": 1}})
    assert model_differences(model, {"stage1": tree + "Tree=1\n", "info": {"seed": 1}})
    assert model_differences(model, {"stage1": tree, "info": {"seed": 2}})
    members = {"members": [{"stage1": tree}], "info": {"seeds": [1]}}
    assert model_differences(members, {"members": [{"stage1": tree}], "info": {"seeds": [1]}}) == []
    assert model_differences(members, {"members": [{"stage1": tree}, {"stage1": tree}], "info": {"seeds": [1]}})
    assert model_differences(members, {"members": [{"stage1": tree.replace("0.1 -0.2", "0.1 -0.3")}], "info": {"seeds": [1]}})


def test_train_strip_rebuilds_the_shipped_model(tmp_path):
    """The documented command rebuilds ``config/models/strip.json.gz`` from ../shared/train, in an
    environment with the NumPy and LightGBM versions the file records (other versions may move
    splits), up to float32 rounding in split thresholds (see ``model_differences``)."""
    import gzip
    import json

    import lightgbm
    import numpy

    from conftest import SHARED
    from storydedup.pipeline.strip.model import packaged_model
    from storydedup.pipeline.strip.model.train import main

    train = [SHARED / "train" / name for name in ("text_boilerplate_train", "html_boilerplate_train")]
    if not all(d.is_dir() for d in train):
        pytest.skip("../shared/train is not beside the checkout")
    shipped = json.loads(gzip.decompress(packaged_model().read_bytes()))
    here = {"numpy": numpy.__version__, "lightgbm": lightgbm.__version__}
    if any(shipped["info"].get(k) != v for k, v in here.items()):
        pytest.skip(f"model file built under numpy {shipped['info'].get('numpy')}, lightgbm "
                    f"{shipped['info'].get('lightgbm')}; here {here}")
    out = tmp_path / "strip.json.gz"
    assert main([str(d) for d in train], str(out), rule_paths(), log=lambda *_: None) == 0
    assert model_differences(json.loads(gzip.decompress(out.read_bytes())), shipped) == []


def reference_words(text: str, prefix: int):
    """Words as features._words defines them, one character at a time in plain Python."""
    from storydedup.pipeline.strip.model import features as F

    table, classes, mult = F.lower_table(), F.char_classes(), int(F._MULT)
    wordish = {F.LOWER, F.UPPER, F.LETTER, F.DIGIT, F.CJK}
    out, i = [], 0
    while i < len(text):
        cls = classes[ord(text[i])] if ord(text[i]) <= 0xFFFF else F.SYMBOL
        if cls not in wordish:
            i += 1
            continue
        start, h, head, pos = i, 0, 0, 0
        while i < len(text) and (classes[ord(text[i])] if ord(text[i]) <= 0xFFFF else F.SYMBOL) in wordish:
            part = (int(table[min(ord(text[i]), 0xFFFF)]) + 1) * pow(mult, min(pos, 63) + 1, 2**64) % 2**64
            h, head = (h + part) % 2**64, (head + part) % 2**64 if min(pos, 63) < prefix else head
            i, pos = i + 1, pos + 1
        out.append((h, start, i - start, head))
    return out


@pytest.mark.parametrize("prefix", [5, 64])
def test_word_hashes_follow_their_definition(prefix):
    """The compiled word pass: runs of letters, digits or CJK; case and digits folded; a hash
    over all characters and one over the first ``prefix``; characters past the BMP split words."""
    from storydedup.pipeline.strip.model.features import _codepoints, _words

    rng = random.Random(7)
    alphabet = "abZ9 é中\U0001F600\n.,İß-'" + "x" * 6
    texts = ["", "Newsletter newsletter NEWSLETTER", "Ab12 ab99", "w" * 80, "中文字 和"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))) for _ in range(300)]
    for text in texts:
        h, start, length, head, line = _words(_codepoints(text), prefix)
        assert list(zip(h.tolist(), start.tolist(), length.tolist(), head.tolist())) == reference_words(text, prefix)
        assert line.tolist() == [text.count("\n", 0, s) for s in start.tolist()]
    h = _words(_codepoints("Newsletter newsletter Ab12 ab99"), prefix)[0]
    assert h[0] == h[1] and h[2] == h[3]


def test_marks_are_counted_per_line():
    """Separators and quotes per line: a character in both sets (») counts in both."""
    from storydedup.pipeline.strip.model import features as F

    rng = random.Random(5)
    alphabet = "a |·•»›/\"“”«„\n\U0001F600" + "x" * 4
    texts = ["", "\n", "a | b » c", "«x»\n\n/"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(300)]
    for text in texts:
        counts = F._marks_per_line(F._codepoints(text)[0], F._mark_table(F.SEPARATORS, F.QUOTES), 2, text.count("\n") + 1)
        expected = [[sum(line.count(ch) for ch in chars) for chars in (F.SEPARATORS, F.QUOTES)] for line in text.split("\n")]
        assert counts.tolist() == expected


def test_line_stats_follow_their_definition():
    """Per line: characters of each class (newlines not counted), first and last non-space."""
    from storydedup.pipeline.strip.model import features as F

    rng = random.Random(3)
    alphabet = "ab Z9\t é中\U0001F600\n\n.,-" + " " * 4
    texts = ["", "\n", " \n\n x ", "abc\n", "\n  \n"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(300)]
    for text in texts:
        cps, cls = F._codepoints(text)
        counts, first, last = F._line_stats(cps, cls, text.count("\n") + 1, F.N_CLASSES, F.SPACE)
        start = 0
        for k, line in enumerate(text.split("\n")):
            classes = cls[start:start + len(line)].tolist()
            assert counts[k].tolist() == [classes.count(c) for c in range(F.N_CLASSES)]
            seen = [start + i for i, c in enumerate(classes) if c != F.SPACE]
            assert (first[k], last[k]) == ((seen[0], seen[-1]) if seen else (-1, -1))
            start += len(line) + 1


def test_core_run_is_the_densest_run_of_each_document():
    """Each document's core is its maximum-sum run of rows, the one ending first and then
    starting first among equal sums (checked against all runs), and rows outside carry their
    signed distance to it."""
    import numpy as np

    from storydedup.pipeline.strip.model.features import _core_runs

    rng = np.random.default_rng(3)
    sizes = [1, 2, 5, 9, 0, 14, 3, 30] * 20
    score = rng.choice([-6.0, -4.0, -2.0, 2.0, 4.0, 6.0, 20.0, 0.5], size=sum(sizes))  # equal sums happen
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    in_core, dist = np.zeros(len(score), bool), np.zeros(len(score), np.float32)
    _core_runs(score, ptr, in_core, dist)
    for d, size in enumerate(sizes):
        if not size:
            continue
        s = score[ptr[d]:ptr[d + 1]]
        runs = [(-s[lo:hi + 1].sum(), hi, lo) for hi in range(size) for lo in range(hi + 1)]
        _, hi, lo = min(runs)
        assert in_core[ptr[d]:ptr[d + 1]].tolist() == [lo <= i <= hi for i in range(size)]
        assert dist[ptr[d]:ptr[d + 1]].tolist() == [i - lo if i < lo else max(i - hi, 0) for i in range(size)]


def test_score_runs_follow_their_definition():
    """Stage two's running views of a document's rows: the largest comment score above each
    row, and the distance to the nearest body row above and below (the row count when none)."""
    import numpy as np

    from storydedup.pipeline.strip.model.model import _score_runs

    rng = np.random.default_rng(5)
    sizes = [3, 0, 1, 7, 12, 4] * 10
    n = sum(sizes)
    comment, body = rng.random(n), rng.random(n) < rng.choice([0.0, 0.3, 0.9], n)
    ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    com_max, above, below = np.zeros(n), np.zeros(n), np.zeros(n)
    _score_runs(comment, body, ptr, com_max, above, below)
    for d, size in enumerate(sizes):
        a = ptr[d]
        for r in range(size):
            assert com_max[a + r] == max(comment[a:a + r], default=0.0)
            up = [r - j for j in range(r + 1) if body[a + j]]
            down = [j - r for j in range(r, size) if body[a + j]]
            assert (above[a + r], below[a + r]) == (min(up, default=size), min(down, default=size))


def test_a_shard_featurised_with_the_batch_recurrence_gets_the_rows_of_the_whole_batch():
    """Only ``rep_batch`` looks past a document; counted over the batch, a document's rows are
    the same whichever shard it is featurised in."""
    import numpy as np

    from storydedup.pipeline.strip.model.features import Recurrence, build_vocab, feature_names, featurize

    rng, vocab, scan = random.Random(3), build_vocab(), RuleScan(rule_paths())
    texts = [document(rng, i)["text"] for i in range(12)]  # menus, comment counts and footers recur
    whole = featurize(texts, vocab, scan)
    batch = Recurrence.count([texts[:5], texts[5:]])
    assert batch.n_docs == 12 and len(batch.hashes) > 3
    halves = [featurize(part, vocab, scan, batch) for part in (texts[:5], texts[5:])]
    assert np.array_equal(np.vstack([h.X for h in halves]), whole.X)
    alone = featurize(texts[:5], vocab, scan)  # the shard as its own batch: other shares
    assert not np.array_equal(alone.X[:, feature_names().index("rep_batch")],
                              halves[0].X[:, feature_names().index("rep_batch")])


def test_a_documents_rows_do_not_depend_on_the_documents_around_it():
    """Featurised alone or among others (some starting with blank lines, some blank), a
    document gets the same rows, given the batch recurrence: the blank lines after its last
    line end with its own text."""
    import numpy as np

    from storydedup.pipeline.strip.model.features import Recurrence, build_vocab, featurize

    rng, vocab, scan = random.Random(11), build_vocab(), RuleScan(rule_paths())
    texts = [("\n" * rng.randint(0, 4)) + document(rng, i)["text"] + ("\n" * rng.randint(0, 2))
             for i in range(40)]
    texts[7], texts[20] = "", "\n \n"
    batch = Recurrence.count([texts])
    whole = featurize(texts, vocab, scan, batch)
    for i, text in enumerate(texts):
        alone = featurize([text], vocab, scan, batch)
        a, b = whole.doc_ptr[i], whole.doc_ptr[i + 1]
        assert np.array_equal(whole.X[a:b], alone.X) and np.array_equal(whole.line_idx[a:b], alone.line_idx)
