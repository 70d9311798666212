"""Writing ``DIR/report/``: pages and assets built in a temporary folder beside it, then swapped
in by renames, so a reader sees the old report or the new one, never half of one."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from storydedup.pipeline.report.collect import ReportLimits, collect
from storydedup.pipeline.report.document import document_body, document_href
from storydedup.pipeline.report.history import history_body
from storydedup.pipeline.report.markup import STYLE, esc, layout, link, section, table
from storydedup.pipeline.report.pages import cluster_body, cluster_href, document_list, overview
from storydedup.pipeline.run_outputs import RUN_FILE, read_history

REPORT_DIR = "report"


def write_report(out: Path, limits: ReportLimits = ReportLimits()) -> Path:
    """Write the report of the run (or daily root) in ``out``; returns the path of index.html."""
    out = Path(out)
    final = out / REPORT_DIR
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{REPORT_DIR}-{os.getpid()}-", dir=out))
    try:
        if (out / RUN_FILE).is_file():
            _run_report(out, tmp, limits)
        else:
            _history_report(out, tmp)
        _swap(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final / "index.html"


def _swap(tmp: Path, final: Path) -> None:
    old = None
    if final.exists():
        old = final.with_name(f".tmp-{REPORT_DIR}-{os.getpid()}-old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(final, old)
    os.rename(tmp, final)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _assets(root: Path, assets: dict) -> None:
    _write(root, "assets/report.css", STYLE)
    for name, svg in assets.items():
        _write(root, f"assets/{name}", svg)


def _nav(spec: dict | None, report_dir: Path) -> list[tuple[str, str]]:
    nav = [("index.html", "Overview"), ("index.html#funnel", "Funnel"), ("index.html#removals", "Removals"),
           ("index.html#clusters", "Clusters"), ("documents/page-1.html", "Documents")]
    if spec and spec.get("root"):
        history = Path(spec["root"]) / REPORT_DIR / "index.html"
        nav.append((os.path.relpath(history, report_dir), "History"))
    return nav


def _run_report(out: Path, tmp: Path, limits: ReportLimits) -> None:
    data = collect(out, limits)
    assets: dict = {}
    nav = _nav(data.spec, out / REPORT_DIR)
    _write(tmp, "index.html", layout(f"Run report: {out.name}", overview(data, assets), "", nav))
    for level, listed in data.largest.items():
        for c in listed:
            _write(tmp, cluster_href(level, c["id"]),
                   layout(f"{level} cluster {c['id']}", cluster_body(data, level, c, limits), "../", nav))
    listed = {(level, c["id"]) for level, clusters in data.largest.items() for c in clusters}

    def cluster_page(level: str, cluster_id: str) -> str | None:  # only listed clusters have one
        return cluster_href(level, cluster_id) if (level, cluster_id) in listed else None

    ids = sorted(data.trails.keys() | {r["id"] for r in data.rejects})
    for doc_id in ids:
        _write(tmp, document_href(data, doc_id),
               layout(f"Document {doc_id}", document_body(data, doc_id, cluster_page), "../", nav))
    pages = [ids[i:i + limits.rows_per_page] for i in range(0, len(ids), limits.rows_per_page)] or [[]]
    scope = ("every document of the run" if data.all_pages else
             f"the documents linked from the report (runs over {limits.all_documents:,} documents are sampled)")
    for n, chunk in enumerate(pages, 1):
        pager = " ".join(link(f"documents/page-{k}.html", str(k)) if k != n else f"<b>{k}</b>" for k in range(1, len(pages) + 1))
        body = (f"<p>Pages for {esc(scope)}: {len(ids):,}.</p><p>{pager}</p>"
                + table(["document", "source", "published", "story cluster or reject reason"],
                        document_list(chunk, data), "documents"))
        _write(tmp, f"documents/page-{n}.html", layout(f"Documents, page {n} of {len(pages)}", body, "../", nav))
    _assets(tmp, assets)


def _history_report(root: Path, tmp: Path) -> None:
    entries = read_history(root)
    if entries is None:
        raise FileNotFoundError(f"{root} has neither a finished run ({RUN_FILE}) nor a daily history")
    assets: dict = {}
    body = section("history", f"{len(entries)} daily batches", history_body(root, entries, assets, root / REPORT_DIR))
    _write(tmp, "index.html", layout(f"Daily history: {root.name}", body, "", [("index.html", "History")]))
    _assets(tmp, assets)
