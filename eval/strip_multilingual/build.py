#!/usr/bin/env python3
"""Build the strip_multilingual evaluation set from the hand-written sources in ``src/<lang>.txt``
(``build.py [SET_DIR]``: another set in the same format from ``SET_DIR/src``).

Every line of text in ``src/`` was written for this set (original writing). This script only
assembles documents from those parts, labels every line and writes:

    input.jsonl   {"id", "text", "url"}
    gold.jsonl    {"id", "body", "leak", "lines", "lang", "widget", "split", "source", ...}
    meta.json

Source format (one file per language), line oriented:

    @lang de
    @block <name>          lines until the next @-line; included in documents with "= <name>"
    @style <name>          comment-widget template for this language, keys:
                             header / sort / login / top: lines before the first comment
                             comment / reply: one comment ("\\n" separates lines; fields
                               {name} {time} {likes} {text} {parent} {i} {pi} = parent's {i})
                             footer: lines after the last comment
    @doc <nn> key=value... one document (widget=..., url=..., brief=1, sep=blank|none)

Inside a document:
    H text / B text   article body line (headline, byline, paragraph, subheading, caption)
    X text            chrome line                     (label chrome, leak kind chrome)
    N text            newsletter / promo / paywall    (label chrome, leak kind newsletter)
    R text            related / most-read item        (label chrome, leak kind related)
    K text            raw line of the reader-comment area (label comment, leak kind comment)
    = block           include a block; its kind comes from the block name's prefix
    ~ style n=<N> [noheader] [nosort] [nologin] [nofooter]
                      start a comment thread rendered with the language's @style template
    c name | time | likes | text      top-level comment ( " // " splits the text into lines;
                                      likes "a/b/c" also fills {l1} {l2} {l3})
    r name | time | likes | text      reply to the previous top-level comment
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORD = re.compile(r"\w+")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")

NEWSLETTER_PREFIXES = ("nl", "promo", "pay", "don", "app", "pod", "event", "member", "sub")
RELATED_PREFIXES = ("rel", "most", "rec", "more")


def tokens(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFKC", text).lower())


def joined(toks) -> str:
    return " " + " ".join(toks) + " "


def block_kind(name: str) -> str:
    prefix = name.split(".")[0]
    if prefix in NEWSLETTER_PREFIXES:
        return "newsletter"
    if prefix in RELATED_PREFIXES:
        return "related"
    return "chrome"


def parse_file(path: Path):
    lang = None
    blocks: dict[str, list[str]] = {}
    styles: dict[str, dict[str, str]] = {}
    docs: list[dict] = []
    cur = None  # ("block", name) | ("style", name) | ("doc", dict)
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        line = raw.rstrip()
        if line.startswith("@"):
            head, _, rest = line[1:].partition(" ")
            if head == "lang":
                lang = rest.strip()
                cur = None
            elif head == "block":
                blocks[rest.strip()] = []
                cur = ("block", rest.strip())
            elif head == "style":
                styles[rest.strip()] = {}
                cur = ("style", rest.strip())
            elif head == "doc":
                parts = rest.split()
                attrs = dict(p.split("=", 1) for p in parts[1:])
                doc = {"nn": parts[0], "attrs": attrs, "ops": [], "file": path.name, "line": lineno}
                docs.append(doc)
                cur = ("doc", doc)
            else:
                raise SystemExit(f"{path}:{lineno}: unknown directive @{head}")
            continue
        if cur is None:
            continue
        if cur[0] == "block":
            if line.strip():
                blocks[cur[1]].append(line.strip())
        elif cur[0] == "style":
            if line.strip():
                key, _, val = line.partition(":")
                styles[cur[1]][key.strip()] = val.strip()
        else:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            op, _, arg = line.strip().partition(" ")
            cur[1]["ops"].append((op, arg.strip(), lineno))
    if lang is None:
        raise SystemExit(f"{path}: no @lang")
    return lang, blocks, styles, docs


def fill(template: str, fields: dict) -> list[tuple[str, bool]]:
    """Template lines with fields filled, as (line, holds_comment_text); a line whose field is
    empty is dropped; {text} expands to the comment's own lines."""
    out = []
    for tl in template.split("\\n"):
        names = re.findall(r"\{(\w+)\}", tl)
        if any(fields.get(n) in (None, "") for n in names):
            continue
        if "{text}" in tl:
            pre, post = tl.split("{text}", 1)
            tlines = fields["text"]
            for k, t in enumerate(tlines):
                s = (pre.format(**fields) if k == 0 else "") + t + (post.format(**fields) if k == len(tlines) - 1 else "")
                out.append((s.strip(), True))
            continue
        out.append((tl.format(**fields).strip(), False))
    return [x for x in out if x[0]]


def render_thread(style: dict, opts: dict, comments: list[dict], where: str):
    """[(line, label, leak_kind_or_None)] for one comment thread."""
    out = []
    n = opts.get("n", str(len(comments)))

    def widget(key):
        if key in style:
            for x, _ in fill(style[key], {"n": n}):
                out.append((x, "comment", "chrome"))

    if "noheader" not in opts:
        widget("header")
    if "nosort" not in opts:
        widget("sort")
    if "nologin" not in opts:
        widget("login")
    widget("top")
    i = 0
    parent = ""
    parent_i = ""
    for c in comments:
        i += 1
        if c["reply"]:
            tpl = style.get("reply") or style["comment"]
        else:
            tpl = style["comment"]
            parent, parent_i = c["name"], str(i)
        fields = {"name": c["name"], "time": c["time"], "likes": c["likes"], "text": c["text"],
                  "parent": c.get("parent") or parent, "i": str(i), "pi": parent_i, "n": n}
        # "a/b/c" in the likes field feeds several counters ({l1} {l2} {l3})
        for j, v in enumerate(c["likes"].split("/"), 1):
            fields[f"l{j}"] = v.strip()
        for x, is_text in fill(tpl, fields):
            out.append((x, "comment", "comment" if is_text else "chrome"))
    if "nofooter" not in opts:
        widget("footer")
    if not comments:
        raise SystemExit(f"{where}: empty thread")
    return out


def leak_ok(text: str) -> bool:
    t = tokens(text)
    if len(t) >= 3:
        return True
    return bool(CJK.search(text)) and len(text) >= 6


def build_doc(lang, blocks, styles, doc):
    where = f"{doc['file']}:{doc['line']}"
    items: list[tuple[str, str, str | None]] = []  # (line, label, leak kind)
    ops = doc["ops"]
    k = 0
    while k < len(ops):
        op, arg, ln = ops[k]
        here = f"{doc['file']}:{ln}"
        if op in ("H", "B"):
            items.append((arg, "body", None))
        elif op == "X":
            items.append((arg, "chrome", "chrome"))
        elif op == "N":
            items.append((arg, "chrome", "newsletter"))
        elif op == "R":
            items.append((arg, "chrome", "related"))
        elif op == "K":
            items.append((arg, "comment", "comment"))
        elif op == "=":
            if arg not in blocks:
                raise SystemExit(f"{here}: unknown block {arg}")
            kind = block_kind(arg)
            for x in blocks[arg]:
                items.append((x, "chrome", kind))
        elif op == "~":
            parts = [p for p in arg.split(" ") if p]
            style_name = parts[0]
            if style_name not in styles:
                raise SystemExit(f"{here}: unknown style {style_name}")
            opts = {}
            for p in parts[1:]:
                if "=" in p:
                    a, b = p.split("=", 1)
                    opts[a] = b
                else:
                    opts[p] = True
            comments = []
            k += 1
            while k < len(ops) and ops[k][0] in ("c", "r"):
                cop, carg, cln = ops[k]
                fs = [f.strip() for f in carg.split("|", 3)]
                if len(fs) != 4:
                    raise SystemExit(f"{doc['file']}:{cln}: comment needs 4 fields")
                comments.append({"reply": cop == "r", "name": fs[0], "time": fs[1], "likes": fs[2],
                                 "text": [t.strip() for t in fs[3].split(" // ") if t.strip()]})
                k += 1
            items.extend(render_thread(styles[style_name], opts, comments, here))
            continue
        else:
            raise SystemExit(f"{here}: unknown op {op!r}")
        k += 1

    did = f"ml-{lang}-{doc['nn']}"
    sep = doc["attrs"].get("sep")
    if sep is None:
        sep = "blank" if int(hashlib.md5(did.encode()).hexdigest(), 16) % 3 == 0 else "none"
    lines, labels = [], []
    for n, (x, lab, _) in enumerate(items):
        if sep == "blank" and n:
            lines.append("")
            labels.append(None)
        lines.append(x)
        labels.append(lab)
    text = "\n".join(lines)
    body_lines = [x for x, lab, _ in items if lab == "body"]
    body = "\n".join(body_lines)
    body_hay = joined(tokens(body))
    leak, seen = [], set()
    dropped = 0
    for x, lab, kind in items:
        if kind is None or x in seen or not leak_ok(x):
            continue
        seen.add(x)
        if joined(tokens(x)) in body_hay:
            dropped += 1
            continue
        leak.append({"text": x, "kind": kind})
    gold = {"id": did, "source": "own", "body": body, "with": [], "leak": leak, "optional": [],
            "lines": labels, "lang": lang, "widget": doc["attrs"].get("widget", "none"),
            "split": None}
    inp = {"id": did, "text": text}
    if "url" in doc["attrs"]:
        inp["url"] = doc["attrs"]["url"]
    info = {"brief": doc["attrs"].get("brief") == "1", "dropped_leaks": dropped, "where": where}
    return inp, gold, info


HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def body_size(body: str) -> int:
    """Words (whitespace-separated), or Han/kana characters / 2 for Chinese and Japanese text
    (a rough word equivalent)."""
    cjk = len(HAN_KANA.findall(body))
    if cjk > len(body) * 0.3:
        return int(cjk / 2)
    return len(body.split())


def assign_splits(golds: list[dict]) -> None:
    """Per language: order ids by md5, the first round(40 %) are "tune", the rest "heldout"."""
    by_lang: dict[str, list[dict]] = {}
    for g in golds:
        by_lang.setdefault(g["lang"], []).append(g)
    for rows in by_lang.values():
        rows.sort(key=lambda g: hashlib.md5(g["id"].encode()).hexdigest())
        n_tune = round(0.4 * len(rows))
        for i, g in enumerate(rows):
            g["split"] = "tune" if i < n_tune else "heldout"


def validate(inp: dict, gold: dict, info: dict) -> list[str]:
    errs = []
    text = inp["text"]
    tl = text.split("\n")
    if len(tl) != len(gold["lines"]):
        errs.append("lines length")
    for x, lab in zip(tl, gold["lines"]):
        if (lab is None) != (x.strip() == ""):
            errs.append(f"label/empty mismatch: {x!r}")
    for b in gold["body"].split("\n"):
        if b not in tl:
            errs.append(f"body line not in input: {b[:40]}")
    for item in gold["leak"]:
        if item["text"] not in text:
            errs.append(f"leak not in input: {item['text'][:40]}")
    size = body_size(gold["body"])
    if gold["body"] and not info["brief"] and not (150 <= size <= 700):
        errs.append(f"body size {size}")
    if info["brief"] and size > 250:
        errs.append(f"brief too long {size}")
    return errs


def main(argv: list[str]) -> int:
    """Builds the set in the folder given (default: this one) from its ``src/``: another set in
    the same format (eval/strip_fresh) is built by the same script."""
    here = Path(argv[0]).resolve() if argv else HERE
    inputs, golds, infos = [], [], []
    for path in sorted((here / "src").glob("*.txt")):
        lang, blocks, styles, docs = parse_file(path)
        for d in docs:
            inp, gold, info = build_doc(lang, blocks, styles, d)
            inputs.append(inp)
            golds.append(gold)
            infos.append(info)
    ids = [g["id"] for g in golds]
    assert len(ids) == len(set(ids)), "duplicate ids"
    assign_splits(golds)
    bad = 0
    for inp, gold, info in zip(inputs, golds, infos):
        for e in validate(inp, gold, info):
            print(f"{gold['id']} ({info['where']}): {e}", file=sys.stderr)
            bad += 1
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    with open(here / "input.jsonl", "w", encoding="utf-8") as fh:
        for i in order:
            fh.write(json.dumps(inputs[i], ensure_ascii=False) + "\n")
    with open(here / "gold.jsonl", "w", encoding="utf-8") as fh:
        for i in order:
            fh.write(json.dumps(golds[i], ensure_ascii=False) + "\n")
    counts: dict = {}
    for g in golds:
        c = counts.setdefault(g["lang"], {"tune": 0, "heldout": 0})
        c[g["split"]] += 1
    labels: dict = {}
    for g in golds:
        for lab in g["lines"]:
            labels[str(lab)] = labels.get(str(lab), 0) + 1
    meta = {"set": here.name, "split": "tune+heldout", "docs": len(golds),
            "tasks": ["boilerplate"], "doc_type": "text", "source": "own",
            "languages": len(counts),
            "splits": {s: sum(1 for g in golds if g["split"] == s) for s in ("tune", "heldout")},
            "per_language": dict(sorted(counts.items())),
            "widgets": dict(sorted(_count(g["widget"] for g in golds).items())),
            "line_labels": labels,
            "leak_kinds": _count(x["kind"] for g in golds for x in g["leak"])}
    (here / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(golds)} docs, {len(counts)} languages, {bad} validation problems")
    return 1 if bad else 0


def _count(xs) -> dict:
    d: dict = {}
    for x in xs:
        d[x] = d.get(x, 0) + 1
    return d


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
