"""End-to-end throughput on one generated corpus, every system measured in the same invocation.

Text path (bench/synthetic_news.py: ~700-word reports, 30% near-duplicate copies):
  storydedup run --workers 1 and --workers 2; the naive reference (bench/peers/naive.py: one
  process, ftfy + datasketch update_batch + MinHashLSH, no stripping); datatrove's four MinHash
  dedup stages on a JSONL reader with 2 workers (bench/peers/datatrove_minhash.py; needs the
  `bench` extra). Each row: docs/s, CPU seconds, the tree's peak memory, near-duplicate B-cubed
  F1 against the generator's truth, and the ratio to the naive reference.
HTML path: storydedup --workers 2 on the same reports as HTML pages against bare
  trafilatura.extract over the pages with 2 processes (bench/peers/bare_trafilatura.py); with
  --html-pages, on real pages instead (generated pages are small: there fixed costs dominate).
Daily batches (--days 30): the text corpus as one `run --batch` on an empty index and on one
  holding 30 earlier days of as many documents: wall and CPU seconds, the cluster stage's seconds.
Growth (--growth 10000,100000,...): storydedup --workers 2 alone at each size, time and memory.

The machine is usually shared: quote ratios from one invocation, not absolute figures.
Usage: python bench/e2e.py [--docs 10000] [--html-docs 1000] [--html-pages PAGES.jsonl.gz] [--days 30]
                           [--growth SIZES] [--skip datatrove,html] [--work DIR] [--readme README.md]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import run  # noqa: E402
from synthetic_news import generate  # noqa: E402

PARTS = 4  # corpus files: datatrove reads one file per task
BIN = Path(sys.executable).parent
PY = sys.executable


def write_corpus(recs: list[dict], folder: Path, field: str = "text") -> None:
    write_parts([{"id": rec["id"], field: html_page(rec) if field == "html" else rec["text"], "published": rec["published"]}
                 for rec in recs], folder)


def write_parts(rows: list[dict], folder: Path) -> None:
    """``rows`` as PARTS JSONL files of about equal size in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-len(rows) // PARTS)
    for p in range(PARTS):
        with open(folder / f"part-{p:02d}.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row) + "\n" for row in rows[p * per:(p + 1) * per])


def html_page(rec: dict) -> str:
    """A news page around the report: navigation, headline, paragraphs, related links, footer."""
    words = rec["text"].split()
    title = " ".join(words[:8]).strip(".").capitalize()
    paras = "".join(f"<p>{p}</p>" for p in rec["text"].split("\n\n"))
    nav = "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in ("World", "Business", "Sport", "Culture"))
    return (f"<html><head><title>{title} | Daily Example</title></head><body><header><ul>{nav}</ul></header>"
            f"<main><article><h1>{title}</h1><p class=\"byline\">By Staff Reporter, {rec['published']}</p>"
            f"{paras}</article><aside><h2>Related</h2><ul><li><a href=\"/r1\">More on this story</a></li>"
            f"</ul></aside></main><footer><p>Copyright Daily Example. All rights reserved.</p>"
            f"<p>Privacy policy | Terms of use | Contact us</p></footer></body></html>")


def truth(recs: list[dict]) -> dict[str, str]:
    return {r["id"]: r.get("copy_of", r["id"]) for r in recs}


def dup_f1(gold: dict[str, str], predicted: dict[str, object]) -> float:
    from storydedup.pipeline.evaluation.grouping import score_clusters

    return score_clusters(gold, predicted)["bcubed_f1"]


def read_labels(path: Path, field: str) -> dict[str, object]:
    with open(path, encoding="utf-8") as fh:
        return {d["id"]: d.get(field) for d in map(json.loads, fh)}


def stage_seconds(out: Path) -> dict[str, float]:
    """Seconds each stage's tasks report (shard stages: summed over shards)."""
    secs = {}
    for stage in sorted(p for p in out.iterdir() if p.is_dir() and p.name[:2].isdigit()):
        stats = [stage / "_stats.json"] if (stage / "_stats.json").exists() else sorted(stage.glob("shard-*/_stats.json"))
        total = sum(json.loads(s.read_text()).get("seconds", 0) for s in stats)
        secs[stage.name.split("-")[0]] = round(total, 2)
    return secs


def storydedup(corpus: Path, out: Path, workers: int, log: Path):
    shutil.rmtree(out, ignore_errors=True)
    return run([str(BIN / "storydedup"), "run", "--input", str(corpus), "--output", str(out),
                "--workers", str(workers), "--quiet"], str(log))


def row(name: str, n: int, m, f1: float | None, naive_rate: float | None) -> str:
    if m.returncode != 0:  # no rates for a run that failed: they would be of nothing
        return f"| {name} (exit {m.returncode}: did not run) | {n} |" + " - |" * 8
    rate = n / m.wall
    ratio = f"{rate / naive_rate:.2f}x" if naive_rate else "-"
    f1s = f"{f1:.4f}" if f1 is not None else "-"
    return (f"| {name} | {n} | {m.wall:.1f} | {rate:.0f} | {m.cpu:.1f} | {n / max(m.cpu, 1e-9):.0f} | "
            f"{m.peak_tree_mb:.0f} | "
            f"{m.max_process_mb:.0f} | {f1s} | {ratio} |")


HEADER = ("| system | docs | wall s | docs/s | CPU s | docs/CPU-s | peak MB (tree PSS, sampled) | "
          "peak MB (one process) | dup B3 F1 | vs naive (docs/s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def text_path(n: int, work: Path, skip: set[str], lines: list[str]) -> None:
    recs = generate(n)
    gold = truth(recs)
    corpus = work / f"text-{n}"
    write_corpus(recs, corpus)
    del recs
    results = {}
    m = run([PY, str(HERE / "peers" / "naive.py"), str(corpus), str(work / "naive.jsonl")], str(work / "naive.log"))
    results["naive"] = (m, dup_f1(gold, read_labels(work / "naive.jsonl", "cluster")) if m.returncode == 0 else None)
    naive_rate = n / m.wall if m.returncode == 0 else None
    for w in (1, 2):
        out = work / f"storydedup-w{w}"
        m = storydedup(corpus, out, w, work / f"storydedup-w{w}.log")
        f1 = dup_f1(gold, read_labels(out / "documents.jsonl", "dup_cluster")) if m.returncode == 0 else None
        results[f"storydedup --workers {w}"] = (m, f1, stage_seconds(out) if m.returncode == 0 else {})
    if "datatrove" not in skip:
        dt_work = work / "datatrove"
        shutil.rmtree(dt_work, ignore_errors=True)
        m = run([PY, str(HERE / "peers" / "datatrove_minhash.py"), str(corpus), str(dt_work),
                 str(work / "datatrove.jsonl"), "2"], str(work / "datatrove.log"))
        ok = m.returncode == 0
        results["datatrove MinHash (2 workers)"] = (m, dup_f1(gold, read_labels(work / "datatrove.jsonl", "cluster"))
                                                    if ok else None)
        if not ok:
            lines.append(f"datatrove did not run (exit {m.returncode}; see {work / 'datatrove.log'}; "
                         "install it with `pip install -e '.[bench]'`).")
    lines += ["", f"Text path: {n} documents (~700 words, 30% near-duplicate copies).", "", HEADER]
    for name, (m, f1, *_) in results.items():
        lines.append(row(name, n, m, f1, naive_rate))
    lines += ["", "storydedup seconds per stage (task time; shard stages summed over their shards):", "",
              "| stage | " + " | ".join(k for k in results if k.startswith("storydedup")) + " |",
              "|---|" + "---:|" * 2]
    stages = results["storydedup --workers 1"][2] or results["storydedup --workers 2"][2]
    for stage in stages:
        lines.append(f"| {stage} | " + " | ".join(str(results[k][2].get(stage, "-"))
                                                 for k in results if k.startswith("storydedup")) + " |")
    m1 = results["storydedup --workers 1"][0]
    w1 = results["storydedup --workers 1"][2]
    if w1:
        strip = w1.get("50_strip", 0.0)
        rest = m1.wall - strip
        lines.append("")
        lines.append(f"--workers 1 without the strip stage's {strip:.1f} s: {n / rest:.0f} docs/s "
                     f"({n / max(rest, 1e-9) / naive_rate:.2f}x naive)" if naive_rate else "")


def real_pages(path: str, n: int, folder: Path) -> int:
    """The first ``n`` pages of a JSONL(.gz) file of ``{"id", "html", "url"?}`` (for example
    ../shared/eval/html_boilerplate/input.jsonl.gz) as the HTML corpus; returns how many."""
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        recs = [{k: rec[k] for k in ("id", "html", "url") if rec.get(k)} for rec, _ in zip(map(json.loads, fh), range(n))]
    write_parts(recs, folder)
    return len(recs)


def html_path(n: int, work: Path, lines: list[str], pages_file: str | None = None) -> None:
    corpus = work / (f"html-real-{n}" if pages_file else f"html-{n}")
    shutil.rmtree(corpus, ignore_errors=True)
    if pages_file:
        n = real_pages(pages_file, n, corpus)
    else:
        write_corpus(generate(n, seed=1), corpus, field="html")
    pages = work / f"{corpus.name}.jsonl"
    with open(pages, "w", encoding="utf-8") as fh:
        for part in sorted(corpus.glob("*.jsonl")):
            fh.write(part.read_text(encoding="utf-8"))
    bare = run([PY, str(HERE / "peers" / "bare_trafilatura.py"), str(pages), "2"], str(work / "bare.log"))
    ours = storydedup(corpus, work / "storydedup-html", 2, work / "storydedup-html.log")
    what = f"real pages from {Path(pages_file).parent.name}/{Path(pages_file).name}" if pages_file else "generated pages"
    lines += ["", f"HTML path: {n} {what}.", "", HEADER.replace("vs naive", "vs bare trafilatura")]
    lines.append(row("bare trafilatura.extract (2 processes)", n, bare, None, n / bare.wall))
    lines.append(row("storydedup --workers 2", n, ours, None, n / bare.wall))
    if ours.returncode == 0:
        secs = stage_seconds(work / "storydedup-html")
        lines.append("")
        lines.append("storydedup HTML stage seconds: " + ", ".join(f"{k} {v}" for k, v in secs.items()))


def growth(sizes: list[int], work: Path, lines: list[str]) -> None:
    lines += ["", "Growth, storydedup --workers 2:", "", "| docs | wall s | docs/s | CPU s | peak MB (tree PSS, sampled) |",
              "|---:|---:|---:|---:|---:|"]
    for n in sizes:
        corpus = work / f"text-{n}"
        if not corpus.exists():
            write_corpus(generate(n), corpus)
        m = storydedup(corpus, work / f"growth-{n}", 2, work / f"growth-{n}.log")
        lines.append(f"| {n} | {m.wall:.1f} | {n / m.wall:.0f} | {m.cpu:.1f} | {m.peak_tree_mb:.0f} |"
                     + ("" if m.returncode == 0 else f" exit {m.returncode}"))


def incremental(n: int, days: int, work: Path, lines: list[str]) -> None:
    """The text corpus as one daily batch (``run --batch``, --workers 2, embedded index): on an
    empty index, then on one that already holds ``days`` earlier days of ``n`` documents each.
    Those days are written straight into the store (bench_index_scale.fill_day: synthetic
    signatures dated in the days before the corpus, so every look-up reads every stored day;
    they share no story with the corpus, so few of its candidates come from them)."""
    from datetime import date, timedelta

    from bench_index_scale import fill_day

    from storydedup.pipeline.index import open_index

    corpus = work / f"text-{n}"
    if not corpus.exists():
        write_corpus(generate(n), corpus)
    published = set()
    for part in corpus.glob("*.jsonl"):
        with open(part, encoding="utf-8") as fh:
            published.update(json.loads(line)["published"] for line in fh)
    batch = max(published)  # the scrape of the corpus's last day
    start = date.fromisoformat(batch) - timedelta(days=days)
    lines += ["", f"Daily batches: the {n} documents as the batch of {batch}, storydedup --workers 2, embedded index "
              f"(earlier days: {n} synthetic documents each, written straight into the index):", "",
              "| earlier days | stored docs | wall s | docs/s | CPU s | clusters stage s | of it: look-ups s | vs empty index (wall) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    base = None
    for history in sorted({0, days}):
        out, index_dir = work / f"daily-{history}", work / f"daily-{history}-index"
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(index_dir, ignore_errors=True)
        index = open_index(str(index_dir))
        for day in range(history):
            fill_day(index, day, n, start)
        index.close()
        os.sync()  # the fill's writes must not be flushed during the measured run
        m = run([str(BIN / "storydedup"), "run", "--batch", batch, "--input", str(corpus), "--output", str(out),
                 "--index", str(index_dir), "--workers", "2", "--quiet"], str(work / f"daily-{history}.log"))
        if m.returncode:
            lines.append(f"| {history} | {history * n} | exit {m.returncode} (see {work / f'daily-{history}.log'}) |" + " - |" * 5)
            continue
        stats = next((out / "batches" / batch).glob("70_clusters-*/_stats.json"))
        cluster = json.loads(stats.read_text())
        base = base or m.wall
        lines.append(f"| {history} | {cluster['index_documents'] - cluster['documents']} | {m.wall:.1f} | {n / m.wall:.0f} | {m.cpu:.1f} | "
                     f"{cluster['seconds']:.2f} | {cluster['seconds_candidates']:.2f} | {m.wall / base:.2f}x |")


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    return f"{platform.node()}: {model}, {os.cpu_count()} CPUs, {mem} MB RAM, Python {platform.python_version()}"


def write_readme(readme: Path, block: str, name: str = "output") -> None:
    """Replace the README's block between ``<!-- bench/e2e.py NAME: begin -->`` and its end
    marker: "output" for the comparison rows, "growth" for a run of the growth table alone."""
    begin, end = f"<!-- bench/e2e.py {name}: begin -->", f"<!-- bench/e2e.py {name}: end -->"
    text = readme.read_text(encoding="utf-8")
    if begin not in text:
        raise SystemExit(f"{readme} has no '{begin}' marker")
    head, rest = text.split(begin, 1)
    readme.write_text(head + begin + "\n" + block + "\n" + end + rest.split(end, 1)[1], encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=10_000, help="text documents (default 10000)")
    ap.add_argument("--html-docs", type=int, default=1000, help="HTML pages (default 1000)")
    ap.add_argument("--html-pages", help="JSONL(.gz) of real pages ({id, html, url}) for the HTML path instead of generated ones")
    ap.add_argument("--growth", default="", help="comma-separated sizes for the growth table, e.g. 10000,100000")
    ap.add_argument("--skip", default="", help="comma-separated: text, datatrove, html")
    ap.add_argument("--days", type=int, default=30, help="earlier days in the index for the daily-batch rows (0: skip them)")
    ap.add_argument("--work", default="/tmp/storydedup-e2e", help="scratch directory (corpora, outputs, logs)")
    ap.add_argument("--readme", help="also write the output into this README's performance block (the growth "
                                     "block when text and html are skipped)")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M")
    lines: list[str] = []
    if "text" not in skip:
        text_path(args.docs, work, skip, lines)
    if "html" not in skip:
        html_path(args.html_docs, work, lines, args.html_pages)
    if args.days and "text" not in skip:
        incremental(args.docs, args.days, work, lines)
    if args.growth:
        growth([int(s) for s in args.growth.split(",")], work, lines)
    head = [f"Machine: {machine()}.",
            f"Run {started}; load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} "
            "(other work on the machine slows every row alike; compare ratios)."]
    block = "\n".join(head + lines)
    print(block)
    if args.readme:  # the growth table alone (hours at 1M) keeps a block of its own
        write_readme(Path(args.readme), block, "growth" if {"text", "html"} <= skip and args.growth else "output")


if __name__ == "__main__":
    main()
