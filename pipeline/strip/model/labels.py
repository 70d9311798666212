"""Training documents with one label per line, from text sets and from HTML sets.

A text set (``gold.lines``) is read as it is. An HTML set with gold bodies is scraped naively,
one line per block element (as the text sets' inputs were made), and a line is ``body`` when
its tokens run inside the gold body (lines under 5 tokens only as a whole body line), else
``chrome``. HTML pages without a body, or with no line found in it, are skipped.
"""
from __future__ import annotations

import gzip
import json
import re
import unicodedata
from pathlib import Path

BLOCKS = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "br", "td", "th", "tr", "table",
          "article", "section", "header", "footer", "nav", "aside", "blockquote", "pre", "form", "dd", "dt", "dl",
          "figure", "figcaption", "main", "title", "option", "button", "label", "hr"}
SKIP = {"script", "style", "noscript", "template", "svg", "head"}
_WORD = re.compile(r"\w+")


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def set_file(folder: str | Path, stem: str) -> Path:
    for name in (f"{stem}.jsonl", f"{stem}.jsonl.gz"):
        if (Path(folder) / name).exists():
            return Path(folder) / name
    raise FileNotFoundError(f"{folder}: no {stem}.jsonl(.gz)")


def load_set(folder: str | Path) -> list[dict]:
    """``{"id", "text", "lines", "source"}`` per usable document of a text or HTML set."""
    gold = {g["id"]: g for g in read_jsonl(set_file(folder, "gold"))}
    docs = []
    for rec in read_jsonl(set_file(folder, "input")):
        g = gold.get(rec["id"])
        if g is None:
            continue
        if g.get("lines") and rec.get("text") is not None:
            text, lines = rec["text"], g["lines"]
            if len(lines) != text.count("\n") + 1:
                raise ValueError(f"{folder}: {rec['id']}: {len(lines)} labels for {text.count(chr(10)) + 1} lines")
        elif rec.get("html") and g.get("body"):
            blocks = block_lines(rec["html"])
            lines = label_lines(blocks, g["body"])
            if "body" not in lines:
                continue
            text = "\n".join(blocks)
        else:
            continue
        docs.append({"id": rec["id"], "text": text, "lines": lines, "source": g.get("source") or "?"})
    return docs


def _tokens(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def block_lines(html: str) -> list[str]:
    """Visible text of ``<body>``, one line per block element, whitespace collapsed."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except Exception:  # lxml raises several types on hopeless markup
        return []
    out: list[str] = []
    cur: list[str] = []

    def flush():
        line = " ".join(" ".join(cur).split())
        if line:
            out.append(line)
        cur.clear()

    def walk(el):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag not in SKIP:
            if tag in BLOCKS:
                flush()
            if el.text:
                cur.append(el.text)
            for child in el:
                walk(child)
            if tag in BLOCKS:
                flush()
        if el.tail:
            cur.append(el.tail)

    body = tree.find(".//body")
    walk(body if body is not None else tree)
    flush()
    return out


def label_lines(lines: list[str], body: str) -> list[str | None]:
    hay = " " + " ".join(_tokens(body)) + " "
    whole = {" ".join(_tokens(b)) for b in body.split("\n")}
    out: list[str | None] = []
    for line in lines:
        toks = _tokens(line)
        run = " ".join(toks)
        if not toks:
            out.append(None)
        elif (len(toks) >= 5 and f" {run} " in hay) or run in whole:
            out.append("body")
        else:
            out.append("chrome")
    return out
