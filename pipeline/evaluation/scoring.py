"""``score_set``: every metric that applies to one evaluation set, from the product's output."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from storydedup.pipeline.evaluation.boilerplate import score_boilerplate, score_html_snippets
from storydedup.pipeline.evaluation.encoding import score_encoding
from storydedup.pipeline.evaluation.grouping import score_clusters, score_near_dup_links, score_pairs
from storydedup.pipeline.evaluation.sets import read_meta, read_rows, set_file


def coverage(gold_ids: list[str], documents: list[dict], rejects: list[dict]) -> dict:
    """Contract check: each input id exactly once across documents and rejects."""
    seen = Counter(d["id"] for d in documents) + Counter(r["id"] for r in rejects)
    gold = set(gold_ids)
    return {
        "gold": len(gold),
        "documents": len(documents),
        "rejects": len(rejects),
        "missing": len(gold - set(seen)),
        "duplicated": sum(1 for i, n in seen.items() if n > 1),
        "unknown": len(set(seen) - gold),
    }


def _labels(documents: list[dict], field: str) -> dict:
    return {d["id"]: d.get(field) for d in documents}


def score_set(set_dir: str, documents: list[dict], rejects: list[dict]) -> dict:
    """All metrics for the tasks listed in ``<set_dir>/meta.json``.

    Rejected or missing documents count as empty text and singleton clusters. Returns
    ``{"set", "coverage", <task section>...}`` with sections ``boilerplate``, ``html_snippets``,
    ``dup_clusters`` (+ ``near_dup_links``), ``story_clusters``, ``pairs``, ``encoding`` (+
    ``encoding_ftfy_alone``: the same scores for ``ftfy.fix_text`` alone on the inputs).
    """
    meta = read_meta(set_dir)
    tasks = set(meta.get("tasks") or [])
    gold = read_rows(set_file(set_dir, "gold"))
    texts = {d["id"]: d.get("text") or "" for d in documents}
    result: dict = {"set": meta.get("set") or Path(set_dir).name,
                    "coverage": coverage([r["id"] for r in gold], documents, rejects)}
    if "boilerplate" in tasks:
        result["boilerplate"] = score_boilerplate(gold, texts)
    if "html_snippets" in tasks:
        result["html_snippets"] = score_html_snippets(gold, texts)
    if "dup_clusters" in tasks:
        dup, story = _labels(documents, "dup_cluster"), _labels(documents, "story_cluster")
        result["dup_clusters"] = score_clusters({r["id"]: r["dup_cluster"] for r in gold}, dup)
        if any("role" in r for r in gold):
            result["near_dup_links"] = score_near_dup_links(gold, dup, story)
    if "story_clusters" in tasks:
        result["story_clusters"] = score_clusters({r["id"]: r["story_cluster"] for r in gold},
                                                  _labels(documents, "story_cluster"))
    if "pairs" in tasks:
        pairs = read_rows(Path(set_dir) / "pairs.jsonl")
        result["pairs"] = score_pairs(pairs, _labels(documents, "story_cluster"))
    if "encoding" in tasks:
        inputs = {r["id"]: r.get("text") for r in read_rows(set_file(set_dir, "input"))}
        result["encoding"] = score_encoding(gold, inputs, texts)
        # the reference the repair stage must not fall below: ftfy's own repair of each input
        result["encoding_ftfy_alone"] = score_encoding(gold, inputs, ftfy_alone(inputs))
    return result


def ftfy_alone(inputs: dict[str, str | None]) -> dict[str, str]:
    """``ftfy.fix_text`` of each input, with its default settings: what ftfy gives by itself."""
    import ftfy

    return {i: ftfy.fix_text(t or "") for i, t in inputs.items()}


def lookup(metrics: dict, path: str):
    """Value at a dotted path such as ``boilerplate.token_f1_mean``; KeyError names the gap."""
    node = metrics
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"metric {path!r} not found (stopped at {part!r})")
        node = node[part]
    return node
