"""Warming the stages before the workers fork: what each task would load lazily is loaded once
in the parent, and parsed rules are shared per file content."""
from __future__ import annotations

import gc
from pathlib import Path

import wordfreq

from storydedup.pipeline.signatures import shingles, story
from storydedup.pipeline.strip import lines
from storydedup.tasks import stages
from storydedup.tasks.cli import all_upstream, load_config, warm_stages


def _publish(corpus: Path, out: Path):
    from storydedup.tasks.publish import Publish

    load_config(None)
    return Publish(inputs=[str(corpus)], output_dir=str(out), shard_size=3)


def test_warm_loads_every_stage_table_before_the_forks(corpus, tmp_path):
    # lines split earlier in this process (by other tests) would not ask for the stop words again
    for cached in (lines.stopwords, lines._split, lines._word_chars, story.frequency_table, story.frequency_index, shingles.char_tables):
        cached.cache_clear()
    stages._PARSED_RULES.clear()
    warm_stages(_publish(corpus, tmp_path / "out"), workers=2)
    assert lines.stopwords.cache_info().currsize == 1
    assert lines._word_chars.cache_info().currsize == 1  # what text_lines counts words with
    assert story.frequency_index.cache_info().currsize == 1  # (its word table is built only when not on disk)
    assert shingles.char_tables.cache_info().currsize == 1
    assert len(stages._PARSED_RULES) == 1
    # what the stages took from wordfreq stays; wordfreq's copies of whole lists are dropped
    assert wordfreq.get_frequency_list.cache_info().currsize == 0


def test_warmed_objects_are_out_of_the_collectors_reach(corpus, tmp_path):
    """A collection in a forked task would write to every page the warm-up filled."""
    gc.unfreeze()
    try:
        warm_stages(_publish(corpus, tmp_path / "out"), workers=2)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_one_worker_loads_nothing_up_front(corpus, tmp_path):
    stages._PARSED_RULES.clear()
    gc.unfreeze()
    warm_stages(_publish(corpus, tmp_path / "out"), workers=1)
    assert not stages._PARSED_RULES and gc.get_freeze_count() == 0


def test_parsed_rules_follow_the_files_content(tmp_path):
    load_config(None)
    extra = tmp_path / "rules"
    extra.mkdir()
    rule = extra / "more.toml"
    rule.write_text('[group.promo]\naction = "drop"\nlines = ["buy now"]\n', encoding="utf-8")
    task = stages.StripBoilerplate(inputs=["x"], output_dir=str(tmp_path / "o"), shard=0, extra_rules=[str(extra)])
    first = task.rules()
    assert task.rules() is first and "promo" in first.groups
    rule.write_text('[group.advert]\naction = "drop"\nlines = ["buy now"]\n', encoding="utf-8")
    changed = task.rules()
    assert changed is not first and "advert" in changed.groups and "promo" not in changed.groups


def test_extract_warms_its_fallbacks_only_for_pages_of_html_a_worker_meets_twice(tmp_path, monkeypatch):
    """dateparser's tables take ~1.2 s to build: worth it before the forks when a worker runs
    several extract tasks of HTML, not for plain text (no date is parsed out of a page) nor when
    each worker runs one task (it would build them at most once anyway)."""
    calls = []
    monkeypatch.setattr(stages.extract, "warm_fallbacks", lambda: calls.append(1))
    text, html = tmp_path / "text.jsonl", tmp_path / "pages.jsonl"
    text.write_text('{"id": "a", "text": "Some words of a report."}\n' * 4, encoding="utf-8")
    page = '{"id": "a", "html": "<html><body><p>Some words of a report.</p></body></html>"}\n'
    html.write_text(page * 4, encoding="utf-8")
    load_config(None)
    for path, shard_size, workers, expected in ((text, 1, 2, []), (html, 1, 2, [1]), (html, 2, 2, []), (html, 4, 1, [])):
        calls.clear()
        stage = stages.ExtractHTML(inputs=[str(path)], output_dir=str(tmp_path / "out"), shard=0, shard_size=shard_size)
        stage.warm(workers)
        assert calls == expected, (path.name, shard_size, workers)


def test_the_read_stage_runs_beside_the_warm_up(corpus, tmp_path):
    import os

    from storydedup.tasks.cli import read_ahead
    from storydedup.tasks.read import ReadInputs

    publish = _publish(corpus, tmp_path / "out")
    [read] = [t for t in all_upstream(publish) if isinstance(t, ReadInputs)]
    assert read_ahead(publish, workers=1) is None  # one worker: Luigi runs it in this process
    pid, stop = read_ahead(publish, workers=2)
    os.close(stop)  # the warm-up is over
    assert os.waitpid(pid, 0)[1] == 0
    assert read.complete() and read_ahead(publish, workers=2) is None  # nothing left to read


def test_the_reader_goes_on_with_the_shards_that_need_no_warm_up(corpus, tmp_path, cli):
    """Until the warm-up is over, the reader runs each shard's tasks that load nothing the
    warm-up would share: extracting a shard without HTML (a copy) and repairing it; a shard
    with HTML pages waits for the warmed workers."""
    import os

    from storydedup.tasks.cli import read_ahead

    out = tmp_path / "out"
    publish = _publish(corpus, out)
    pid, stop = read_ahead(publish, workers=2)
    assert os.waitpid(pid, 0)[1] == 0  # not told to stop: it ran out of such tasks
    os.close(stop)
    extracts = sorted((t for t in all_upstream(publish) if isinstance(t, stages.ExtractHTML)), key=lambda t: t.shard)
    repairs = {t.shard: t for t in all_upstream(publish) if isinstance(t, stages.RepairText)}
    copied = [t.runs_unwarmed() for t in extracts]
    assert any(copied) and not all(copied)  # the corpus has shards of each kind
    assert [t.complete() for t in extracts] == copied
    assert [repairs[t.shard].complete() for t in extracts] == copied
    assert cli("run", "--input", corpus, "--output", out, "--workers", "2", "--shard-size", "3")[0] == 0
    assert (out / "documents.jsonl").exists()


def test_a_reader_that_dies_leaves_no_stage_and_the_run_reads_again(corpus, tmp_path, cli, monkeypatch):
    import os

    import storydedup.tasks.read as read_module
    from storydedup.tasks.cli import read_ahead

    written = []

    def dies_after_one(*args):
        if written:
            raise OSError("disk gone")
        written.append(real(*args))

    real = read_module.write_shard
    monkeypatch.setattr(read_module, "write_shard", dies_after_one)
    out = tmp_path / "out"
    pid, stop = read_ahead(_publish(corpus, out), workers=2)
    assert os.waitpid(pid, 0)[1] != 0
    os.close(stop)
    assert not list(out.glob("10_read*")) and not list(out.glob(".tmp-*"))
    monkeypatch.setattr(read_module, "write_shard", real)
    assert cli("run", "--input", corpus, "--output", out, "--workers", "2")[0] == 0
    assert (out / "documents.jsonl").exists()
