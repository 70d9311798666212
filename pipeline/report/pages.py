"""The report's pages of one run: the overview (funnel, removals, encoding, clusters), one page
per listed cluster and the list of documents that have a page."""
from __future__ import annotations

import numpy as np

from storydedup.pipeline.report import charts
from storydedup.pipeline.report.collect import RunData, ReportLimits, rule_files
from storydedup.pipeline.report.document import document_href, strip_view
from storydedup.pipeline.run_outputs import funnel_counts
from storydedup.pipeline.report.markup import esc, figure, link, num, page_file, section, table, url_link

LEVEL_PREFIX = {"duplicate": "dup", "story": "story"}


def cluster_href(level: str, cluster_id: str) -> str:
    return page_file("clusters", f"{level}\0{cluster_id}")


def funnel(data: RunData, assets: dict) -> str:
    rows, attrs = [], []
    counts = {stage: funnel_counts(data.stats[stage]) for stage in data.spec["stages"]}
    for stage, dirname in data.spec["stages"].items():
        s = data.stats[stage]
        reasons = ", ".join(f"{esc(k)}: {num(v)}" for k, v in sorted(s.get("reject_reasons", {}).items(),
                                                                       key=lambda kv: -kv[1]))
        rows.append([esc(dirname)] + [f'<span class="{k}">{num(counts[stage].get(k, ""))}</span>'
                                      for k in ("in", "kept", "rejected", "seconds")] + [reasons])
        attrs.append(f'data-stage="{esc(stage)}"')
    shown = [s for s in data.spec["stages"] if "kept" in counts[s]]
    assets["funnel.svg"] = charts.bars(shown, {"in": [counts[s]["in"] for s in shown],
                                               "kept": [counts[s]["kept"] for s in shown]},
                                       "Documents per stage", "documents")
    seconds = [s for s in data.spec["stages"] if "seconds" in counts[s]]
    assets["seconds.svg"] = charts.bars(seconds, {"seconds": [counts[s]["seconds"] for s in seconds]},
                                        "Seconds per stage (all shards added up)", "seconds", counts=False)
    return (table(["stage", "in", "kept", "rejected", "seconds", "rejected because"], rows, "funnel", attrs)
            + '<div class="grid">' + figure("assets/funnel.svg", "documents per stage")
            + figure("assets/seconds.svg", "seconds per stage") + "</div>")


def removals(data: RunData, assets: dict) -> str:
    shares = data.removal_shares
    if shares is None or not len(shares):
        return '<p class="note">No strip stage in this run.</p>'
    edges = np.linspace(0, 1, 21)
    counts = np.histogram(shares, bins=edges)[0].tolist()
    assets["removal_share.svg"] = charts.histogram(edges.tolist(), {"documents": counts},
                                                   "Share of text removed per document", "share removed", log=True)
    by = sorted(data.removals_by.items(), key=lambda kv: -kv[1]["chars"])
    parts = [f"<p>{int((shares > 0).sum()):,} of {len(shares):,} documents lost text in the strip stage; "
             f"median share removed among them {float(np.median(shares[shares > 0])) if (shares > 0).any() else 0:.1%}.</p>"]
    figs = [figure("assets/removal_share.svg", "share of text removed per document")]
    if by:
        assets["removals_by.svg"] = charts.bars([k for k, _ in by[:20]], {"characters": [v["chars"] for _, v in by[:20]]},
                                                "Characters removed by rule / detector", "characters")
        figs.append(figure("assets/removals_by.svg", "characters removed by rule or detector"))
    parts.append('<div class="grid">' + "".join(figs) + "</div>")
    parts.append(table(["removed by", "runs of lines", "lines", "characters"],
                       [[esc(k), num(v["spans"]), num(v["lines"]), num(v["chars"])] for k, v in by], "removals-by"))
    used = rule_files(data)
    if used:
        parts.append("<p>Rule files: " + ", ".join(f"<code>{esc(u['file'])}</code> ({esc(u['sha256'][:12])})"
                                                     for u in used) + "</p>")
    rows = [[link(document_href(data, i), i), num(chars), f"{share:.1%}"] for chars, share, i in data.lost_most]
    parts.append("<h3>Documents that lost the most</h3>" + table(["document", "characters removed", "share"], rows, "lost-most"))
    return "".join(parts)


def encoding(data: RunData, assets: dict) -> str:
    read = data.stats.get("10_read", {}).get("counters", {})
    repair = data.stats.get("30_repair", {}).get("counters", {})
    charsets = {k.split(":", 1)[1]: v for k, v in read.items() if k.startswith("charset:")}
    fixes = {k.split(":", 1)[1]: v for k, v in repair.items() if k.startswith("fix:")}
    parts, figs = [], []
    for name, counts, title in (("charsets.svg", charsets, "Charsets detected"), ("fixes.svg", fixes, "Repairs by kind")):
        if counts:
            top = sorted(counts.items(), key=lambda kv: -kv[1])[:20]
            assets[name] = charts.bars([k for k, _ in top], {"documents": [v for _, v in top]}, title, "documents")
            figs.append(figure(f"assets/{name}", title))
    parts.append('<div class="grid">' + "".join(figs) + "</div>")
    parts.append(table(["counter", "documents"], [[esc(k), num(v)] for k, v in sorted({**read, **repair}.items())],
                       "encoding"))
    return "".join(parts)


def clusters(data: RunData, assets: dict) -> str:
    parts, figs = [], []
    for level, sizes in sorted(data.cluster_sizes.items()):
        top = max(sizes)
        edges = [1, 2, 3, 4, 5, 6, 8, 11, 16, 21, 31, 51, 101, 1001, 10001, 100001]
        edges = [e for e in edges if e <= top] + [top + 1]
        counts = [sum(n for s, n in sizes.items() if a <= s < b) for a, b in zip(edges[:-1], edges[1:])]
        labels = [f"{a}" if b == a + 1 else f"{a}-{b - 1}" for a, b in zip(edges[:-1], edges[1:])]
        assets[f"sizes_{level}.svg"] = charts.bars(labels, {"clusters": counts}, f"{level.title()} cluster sizes",
                                                   "clusters")
        figs.append(figure(f"assets/sizes_{level}.svg", f"{level} cluster sizes"))
    cstats = data.stats.get("70_clusters", {})
    for key, title, xlabel in (("dup_similarity_histogram", "Near-duplicate candidates", "estimated Jaccard"),
                               ("story_score_histogram", "Story candidates",
                                "cosine / the pair's threshold (>= 1 passes)")):
        h = cstats.get(key)
        if h:
            name = f"{key}.svg"
            assets[name] = charts.histogram(h["edges"], {"accepted": h["accepted"], "rejected": h["rejected"]},
                                            title, xlabel, log=True)
            figs.append(figure(f"assets/{name}", title))
    if not any(k in cstats for k in ("dup_similarity_histogram", "story_score_histogram")):
        parts.append('<p class="note">This run\'s cluster stage did not record candidate similarities '
                     "(runs made before the report existed); re-run from the clusters stage to see them.</p>")
    parts.insert(0, '<div class="grid">' + "".join(figs) + "</div>")
    for level in ("duplicate", "story"):
        listed = data.largest.get(level, [])
        total = sum(n for s, n in data.cluster_sizes.get(level, {}).items() if s > 1)
        rows = [[link(cluster_href(level, c["id"]), c["id"], "cluster"), num(c["size"]),
                 link(document_href(data, data.local_id(c["representative"])), c["representative"])] for c in listed]
        parts.append(f"<h3>Largest {level} clusters ({len(listed)} of {total:,} with more than one member)</h3>"
                     + table(["cluster", "members", "representative"], rows, f"largest {level}"))
    return "".join(parts)


def rejects(data: RunData) -> str:
    rows = [[link(document_href(data, r["id"]), r["id"]), esc(r.get("stage")), esc(r.get("reason")),
             esc(r.get("detail"))] for r in data.rejects]
    note = f"<p>{data.n_rejects:,} rejected" + (f", the first {len(rows)} listed" if data.n_rejects > len(rows) else "") + ".</p>"
    return note + table(["document", "stage", "reason", "detail"], rows, "rejects")


def overview(data: RunData, assets: dict) -> str:
    spec = data.spec
    head = table(["", ""], [["run", esc(data.out)], ["completed", esc(spec.get("completed"))],
                            ["inputs", "<br>".join(esc(p) for p in spec.get("inputs", []))]]
                 + ([["batch", esc(spec["batch"])]] if spec.get("batch") else []), "facts")
    return head + "".join(section(a, t, body) for a, t, body in (
        ("funnel", "Stage funnel", funnel(data, assets)), ("removals", "Removals", removals(data, assets)),
        ("encoding", "Encoding", encoding(data, assets)), ("clusters", "Clusters", clusters(data, assets)),
        ("rejects", "Rejected documents", rejects(data))))


def cluster_body(data: RunData, level: str, c: dict, limits: ReportLimits) -> str:
    rep = c["representative"]
    rows, attrs, texts = [], [], []
    for member in [rep] + [m for m in c["members"] if m != rep][:limits.members_listed - 1]:
        local = data.local_id(member)
        meta = data.meta.get(local, {}) if local else {}
        key = LEVEL_PREFIX[level]
        mark = '<span class="tag rep">representative</span>' if member == rep else ""
        rows.append([link(document_href(data, local), member) + mark, esc(meta.get("source")),
                     esc(meta.get("published")), esc(meta.get("title")), url_link(meta.get("url")),
                     num(meta.get(f"{key}_similarity", ""))])
        attrs.append('class="member-row representative"' if member == rep else 'class="member-row"')
        view = strip_view(data.trails.get(local, []), 60) if local and len(texts) < limits.members_with_text else None
        if view:
            texts.append(f'<div class="member"><h3>{link(document_href(data, local), member)}{mark}</h3>{view}</div>')
    more = len(c["members"]) - len(rows)
    return (f"<p>{esc(level)} cluster of {c['size']:,} members"
            + (f" ({more:,} more not listed)" if more > 0 else "") + ".</p>"
            + table(["member", "source", "published", "title", "url", "similarity to representative"], rows,
                    "members", attrs)
            + section("texts", "Members' texts (removed lines struck through, with their reasons)", "".join(texts)))


def document_list(ids: list[str], data: RunData) -> list[str]:
    rows = []
    for doc_id in ids:
        meta = data.meta.get(doc_id, {})
        rejected = next((r for r in data.rejects if r["id"] == doc_id), None)
        status = esc(f"rejected: {rejected['reason']}") if rejected else esc(meta.get("story_cluster", ""))
        rows.append([link(document_href(data, doc_id), doc_id), esc(meta.get("source")),
                     esc(meta.get("published")), status])
    return rows
