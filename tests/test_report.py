"""The HTML run report, loaded in headless Chromium: the bundled sample run (funnel equals
`storydedup stats`, a cluster opens its members, no console errors, a screenshot) and a daily
batch of hostile documents whose markup must stay inert text."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import ARTICLE, OTHER, REPO, read_rows

import browser as chromium
from storydedup.pipeline.records import read_jsonl

ARTIFACTS = REPO / "tests" / "artifacts"

HOSTILE_ID = '<script>window.__pwned=1</script>'
HOSTILE_LINES = [
    '</script><script>window.__pwned=2;document.title="pwned"</script> said the harbour master.',
    'Witnesses saw <img src=x onerror="window.__pwned=3"> and &lt;b&gt;bold&lt;/b&gt; &amp; &#60;i&#62; signs.',
]
BOILERPLATE = ["Share this article: Facebook Twitter Email",
               'Comments (2) <a href="javascript:window.__pwned=7">reply</a>', "Reply", "Like"]


def hostile_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True)
    body = "\n".join(HOSTILE_LINES) + "\n" + ARTICLE
    rows = [
        {"id": HOSTILE_ID, "text": body + "\n" + "\n".join(BOILERPLATE), "url": "javascript:window.__pwned=4",
         "title": "<svg onload=window.__pwned=5>", "source": '"><script>document.title="pwned"</script>'},
        {"id": '../../x" onmouseover="window.__pwned=6', "text": body, "url": "https://example.org/<b>",
         "source": "Example & Co"},
        {"id": "plain", "text": OTHER, "source": "Example Times"},
        {"id": "<iframe src=javascript:window.__pwned=8>", "text": "  "},
    ]
    path = folder / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def run_cli(*argv) -> int:
    from storydedup.tasks.cli import main

    return main([str(a) for a in argv])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    sample = base / "sample"
    assert run_cli("run", "--input", REPO / "sample", "--output", sample, "--quiet", "--report") == 0
    root = base / "daily"
    feed = hostile_corpus(base / "hostile")
    assert run_cli("run", "--batch", "2026-03-02", "--input", feed, "--output", root, "--quiet", "--report") == 0
    # a second day: a copy of an earlier document (a cluster reaching into the first batch) and a new one
    day2 = base / "day2.jsonl"
    day2.write_text(json.dumps({"id": "plain-copy", "text": OTHER}) + "\n"
                    + json.dumps({"id": "new", "text": ARTICLE.replace("Porto Velho", "Santos")}) + "\n")
    assert run_cli("run", "--batch", "2026-03-03", "--input", day2, "--output", root, "--quiet", "--report") == 0
    return {"sample": sample, "root": root, "batch": root / "batches" / "2026-03-02",
            "day2": root / "batches" / "2026-03-03"}


@pytest.fixture(scope="module")
def browser():
    if not chromium.available():
        if os.environ.get("CI"):
            pytest.fail("chromium/chromedriver missing: scripts/install_browser.sh should have installed them")
        pytest.skip("chromium and chromium-driver are not installed (bash scripts/install_browser.sh)")
    b = chromium.Browser()
    yield b
    b.close()


def stats_table(capsys, out: Path) -> dict:
    """`storydedup stats` as printed: stage directory -> (in, kept, rejected) strings."""
    capsys.readouterr()
    assert run_cli("stats", "--output", out) == 0
    rows = {}
    for line in capsys.readouterr().out.splitlines()[1:]:
        if not line.strip():
            break
        fields = [line[:32].strip()] + [line[33 + 9 * k:33 + 9 * k + 8].strip() for k in range(3)]
        rows[fields[0]] = tuple(fields[1:])
    return rows


@pytest.mark.browser
def test_funnel_equals_stats(runs, browser, capsys):
    browser.open(runs["sample"] / "report" / "index.html")
    shown = {}
    for row in browser.driver.find_elements("css selector", "table.funnel tr[data-stage]"):
        cells = row.find_elements("css selector", "td")
        shown[cells[0].text] = tuple(row.find_element("css selector", f"span.{k}").text.replace(",", "")
                                     for k in ("in", "kept", "rejected"))
    expected = stats_table(capsys, runs["sample"])
    assert shown == expected and len(shown) == 9
    assert browser.console_errors() == []


@pytest.mark.browser
def test_every_asset_is_local_and_loads(runs, browser):
    browser.open(runs["sample"] / "report" / "index.html")
    sources = browser.driver.execute_script(
        "return [...document.querySelectorAll('img')].map(i => [i.src, i.naturalWidth]);")
    assert len(sources) >= 6
    for src, width in sources:
        assert src.startswith("file://") and width > 0, src
    assert browser.console_errors() == []


@pytest.mark.browser
def test_a_click_on_a_cluster_opens_its_members(runs, browser):
    browser.open(runs["sample"] / "report" / "index.html")
    first = browser.driver.find_element("css selector", "table.duplicate a.cluster")
    cluster_id = first.text
    first.click()
    wanted = next(c for c in read_rows(runs["sample"] / "clusters.jsonl") if c["id"] == cluster_id)
    rows = browser.driver.find_elements("css selector", "table.members tr.member-row")
    ids = [r.find_element("css selector", "td a").text for r in rows]
    assert sorted(ids) == sorted(wanted["members"])
    rep = browser.driver.find_elements("css selector", "table.members tr.representative td a")
    assert [a.text for a in rep] == [wanted["representative"]]
    assert len(browser.driver.find_elements("css selector", ".member .text")) == len(wanted["members"])
    assert browser.console_errors() == []


@pytest.mark.browser
def test_document_page_shows_removed_lines_with_their_reasons(runs, browser):
    browser.open(runs["sample"] / "report" / "index.html")
    link = browser.driver.find_element("css selector", "table.lost-most a")
    doc_id = link.text
    link.click()
    removed = browser.driver.find_elements("css selector", ".removed")
    strip = next(r for r in read_jsonl(next(runs["sample"].glob("50_strip-*/shard-00000/docs.jsonl.gz")))
                 if r["id"] == doc_id)
    reasons = {s["by"] for s in strip["notes"]["strip"]["removed"]}
    assert {r.get_attribute("data-by") for r in removed} == reasons
    headings = [h.text for h in browser.driver.find_elements("css selector", "#stages h3")]
    assert [h.split("-")[0] for h in headings] == ["10_read", "20_extract", "30_repair", "50_strip"]
    assert browser.console_errors() == []


@pytest.mark.browser
def test_screenshot_artefact(runs, browser):
    browser.open(runs["sample"] / "report" / "index.html")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    assert browser.driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def _pages(report: Path) -> list[Path]:
    return sorted(report.rglob("*.html"))


@pytest.mark.browser
def test_hostile_text_is_inert_and_shown_literally(runs, browser):
    report = runs["batch"] / "report"
    pages = _pages(report)
    assert len(pages) >= 5
    for page in pages:
        browser.open(page)
        title = browser.driver.title
        state = browser.driver.execute_script("""return {
            pwned: typeof window.__pwned, scripts: document.scripts.length,
            handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes])
                          .filter(a => a.name.startsWith('on')).length,
            jsLinks: [...document.querySelectorAll('[href],[src]')]
                          .filter(e => /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src'))).length,
            foreign: [...document.querySelectorAll('iframe,svg,object,embed,img:not(figure img)')].length};""")
        assert state == {"pwned": "undefined", "scripts": 0, "handlers": 0, "jsLinks": 0, "foreign": 0}, page
        assert title != "pwned"  # what the injected scripts would set
        assert browser.console_errors() == [], page
    # the hostile document's own page shows its id, final text and removed lines as text
    final = next(r for r in read_rows(runs["batch"] / "documents.jsonl") if r["id"] == HOSTILE_ID)
    browser.open(report / "index.html")
    browser.driver.find_element("link text", "Documents").click()
    browser.driver.find_element("link text", HOSTILE_ID).click()
    text = browser.driver.find_element("tag name", "body").text
    assert HOSTILE_ID in browser.driver.title
    for line in [ln for ln in final["text"].splitlines() if "<" in ln or "&" in ln]:
        assert line.strip() in text
    assert 'javascript:window.__pwned=4' in text and '<svg onload=window.__pwned=5>' in text
    assert [e.text for e in browser.driver.find_elements("css selector", ".removed pre") if "javascript" in e.text]


def test_ids_never_become_paths(runs):
    report = runs["batch"] / "report"
    for path in report.rglob("*"):
        assert path.resolve().is_relative_to(report.resolve())
        assert re.fullmatch(r"[a-z0-9_.\-]+", path.name), path.name
    assert not list(runs["root"].rglob("*onmouseover*")) and not list(runs["root"].parent.rglob("x\" *"))


@pytest.mark.browser
def test_history_page_of_the_daily_root(runs, browser):
    browser.open(runs["root"] / "report" / "index.html")
    rows = browser.driver.find_elements("css selector", "table.history tbody tr")
    entries = read_rows(runs["root"] / "history.jsonl")
    assert [r.find_element("css selector", "td").text for r in rows] == [e["batch"] for e in entries]
    assert len(entries) == 2
    assert len(browser.driver.find_elements("css selector", "figure img")) == 5
    rows[0].find_element("css selector", "a").click()
    assert browser.driver.title.startswith("Run report: 2026-03-02")
    assert browser.console_errors() == []


def test_report_of_a_folder_without_a_run_is_a_usage_error(tmp_path, cli):
    code, _, err = cli("report", "--output", tmp_path)
    assert code == 2 and str(tmp_path) in err and err.count("\n") == 1


def test_every_link_in_the_report_resolves(runs):
    """Pages set <base> to the report folder; every local href/src must name an existing file."""
    from html.parser import HTMLParser
    from urllib.parse import unquote, urlsplit

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.base, self.targets = "", []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "base":
                self.base = attrs["href"]
            self.targets += [attrs[k] for k in ("href", "src") if k in attrs and tag != "base"]

    checked = 0
    for report in (runs["sample"] / "report", runs["batch"] / "report", runs["day2"] / "report",
                   runs["root"] / "report"):
        for page in _pages(report):
            parser = Links()
            parser.feed(page.read_text(encoding="utf-8"))
            for target in parser.targets:
                parts = urlsplit(target)
                if parts.scheme in ("http", "https"):
                    continue
                assert not parts.scheme, (page, target)
                resolved = (page.parent / parser.base / unquote(parts.path)).resolve()
                assert resolved.is_file(), (page, target)
                checked += 1
    assert checked > 100


def test_cluster_stage_histograms_count_every_candidate_pair(runs):
    """The report's similarity histograms (cluster stage _stats.json) add up to its counts."""
    from storydedup.pipeline.run_outputs import read_run, stage_stats

    stats = stage_stats(runs["sample"] / read_run(runs["sample"])["stages"]["70_clusters"])
    dup, story = stats["dup_similarity_histogram"], stats["story_score_histogram"]
    assert sum(dup["accepted"]) == stats["dup_links"] > 0
    assert sum(dup["accepted"]) + sum(dup["rejected"]) == stats["dup_candidates"]
    assert sum(story["accepted"]) + sum(story["rejected"]) == stats["story_candidates"] > 0
    assert len(dup["edges"]) == len(dup["accepted"]) + 1 and dup["edges"][-1] == 1.0


def test_no_page_holds_hostile_markup_unescaped(runs):
    """The same property as the browser test, read from the files: no raw tag or handler."""
    pages = _pages(runs["batch"] / "report") + _pages(runs["day2"] / "report") + _pages(runs["root"] / "report")
    for page in pages:
        html = page.read_text(encoding="utf-8")
        for raw in ("<script", "<img src=x", "<svg", "<iframe", 'onmouseover="', "onerror=\"window"):
            assert raw not in html, (page, raw)
    assert any("&lt;script&gt;window.__pwned=1&lt;/script&gt;" in p.read_text(encoding="utf-8") for p in pages)
