"""One document's page, like ``storydedup inspect``: its text at every stage, a diff of what each
stage changed, why (the stage's notes), the lines the strip stage removed with their reasons,
and its clusters."""
from __future__ import annotations

import difflib
import json

from storydedup.pipeline.report.collect import RunData, removed_spans
from storydedup.pipeline.report.markup import esc, link, num, page_file, section, table, url_link
from storydedup.pipeline.run_outputs import record_body, stage_notes

MAX_DIFF_LINES = 400
MAX_SOURCE_CHARS = 20_000


def marked_text(text_in: str, spans: list[dict], max_lines: int | None = None) -> str:
    """The strip stage's input with every removed run of lines struck through and its reason."""
    lines = text_in.split("\n")
    reason: list[str | None] = [None] * len(lines)
    for span in spans:
        wanted = span["text"].split("\n")
        k = 0
        first, last = span["lines"]
        for i in range(first, min(last, len(lines) - 1) + 1):
            if k < len(wanted) and lines[i].strip().endswith(wanted[k].strip()):
                reason[i] = span["by"]
                k += 1
    blocks, start = [], 0
    shown = lines if max_lines is None else lines[:max_lines]
    for i in range(1, len(shown) + 1):
        if i == len(shown) or reason[i] != reason[start]:
            body = esc("\n".join(shown[start:i]))
            if reason[start]:
                blocks.append(f'<div class="removed" data-by="{esc(reason[start])}"><span class="why">removed by '
                              f'{esc(reason[start])}</span><pre>{body}</pre></div>')
            else:
                blocks.append(f'<div class="kept"><pre>{body}</pre></div>')
            start = i
    more = len(lines) - len(shown)
    tail = f'<p class="note">[{more} more lines on the document page]</p>' if more > 0 else ""
    return f'<div class="text">{"".join(blocks)}</div>{tail}'


def strip_view(trail: list[dict], max_lines: int | None = None) -> str | None:
    """The text entering the strip stage, marked; None when the document never got there."""
    by_stage = {step["stage"]: step["record"] for step in trail}
    if "50_strip" not in by_stage:
        return None
    before = [step["record"] for step in trail if step["stage"] < "50_strip"]
    text_in = record_body(before[-1]) if before else record_body(by_stage["50_strip"])
    return marked_text(text_in, removed_spans(by_stage["50_strip"]), max_lines)


def _diff(previous: str, body: str) -> str:
    if body == previous:
        return '<p class="note">(text unchanged)</p>'
    diff = list(difflib.unified_diff(previous.splitlines(), body.splitlines(), "before", "after", lineterm="", n=1))
    if not diff:
        return '<p class="note">(only whitespace at the ends changed)</p>'
    cut = diff[2:2 + MAX_DIFF_LINES]
    cls = {"+": "add", "-": "del", "@": "hunk"}
    out = "".join(f'<span class="{cls.get(line[:1], "ctx")}">{esc(line) or " "}</span>' for line in cut)
    more = f'<p class="note">[{len(diff) - 2 - len(cut)} more diff lines]</p>' if len(diff) - 2 > len(cut) else ""
    return f'<pre class="diff">{out}</pre>{more}'


def document_body(data: RunData, doc_id: str, cluster_href) -> str:
    trail = data.trails.get(doc_id, [])
    meta = data.meta.get(doc_id, {})
    reject = next((r for r in data.rejects if r["id"] == doc_id), None)
    first = trail[0]["record"] if trail else {}
    facts = [("id", esc(doc_id)), ("title", esc(meta.get("title") or first.get("title"))),
             ("source", esc(meta.get("source") or first.get("source"))),
             ("published", esc(meta.get("published") or first.get("published"))),
             ("url", url_link(meta.get("url") or first.get("url"))), ("origin", esc(first.get("origin") or (reject or {}).get("origin")))]
    if reject:
        facts.append(("rejected", esc(f"at {reject.get('stage')}: {reject['reason']}"
                                      + (f" ({reject['detail']})" if reject.get("detail") else ""))))
    for level, key in (("duplicate", "dup"), ("story", "story")):
        if meta.get(f"{key}_cluster"):
            cid = meta[f"{key}_cluster"]
            rep = " (representative)" if meta.get(f"{key}_representative") else ""
            facts.append((f"{level} cluster", link(cluster_href(level, cid), cid)
                          + esc(f"{rep}, similarity to representative {num(meta.get(f'{key}_similarity'))}")))
    parts = [table(["", ""], [[esc(k), v] for k, v in facts], "facts")]
    marked = strip_view(trail)
    if marked:
        parts.append(section("removed", "Text entering the strip stage, removals marked", marked))
    stages, previous = [], None
    for step in trail:
        rec, body = step["record"], record_body(step["record"])
        notes = stage_notes(step["stage"], rec.get("notes"))
        html = [f"<h3>{esc(step['dirname'])} ({len(body):,} characters)</h3>"]
        if notes:
            html.append(f'<pre class="notes">{esc(json.dumps(notes, ensure_ascii=False))}</pre>')
        if previous is None:
            shown = body[:MAX_SOURCE_CHARS]
            html.append(f"<pre>{esc(shown)}</pre>" + ('<p class="note">[cut]</p>' if len(body) > len(shown) else ""))
        else:
            html.append(_diff(previous, body))
        previous = body
        stages.append("".join(html))
    if stages:
        parts.append(section("stages", "At every stage", "".join(stages)))
    return "".join(parts)


def document_href(data: RunData, doc_id: str | None) -> str | None:
    """Relative to the report folder; None when the document has no page in this report."""
    if doc_id is None or doc_id not in data.trails and not any(r["id"] == doc_id for r in data.rejects):
        return None
    return page_file("documents", doc_id)
