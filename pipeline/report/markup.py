"""HTML building blocks of the report. Every value that comes from a run (ids, texts, titles,
URLs, reasons) goes through ``esc``; pages never contain scripts, and their Content Security
Policy forbids them too, so a hostile document is shown as text and nothing else."""
from __future__ import annotations

import hashlib
from html import escape
from urllib.parse import urlsplit

CSP = "default-src 'none'; img-src 'self' file: data:; style-src 'self' file:"


def esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def page_file(kind: str, key: str) -> str:
    """``kind/<hash>.html``: ids never become file names (they may hold '/', '..', markup)."""
    return f"{kind}/{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}.html"


def link(href: str | None, text, cls: str = "") -> str:
    if not href:
        return esc(text)
    return f'<a href="{esc(href)}"{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>{esc(text)}</a>'


def url_link(url) -> str:
    """A document's URL: a link only for http(s), anything else (javascript:, data:) as text."""
    if not url:
        return ""
    if urlsplit(str(url)).scheme.lower() in ("http", "https"):
        return f'<a href="{esc(url)}" rel="noreferrer noopener">{esc(url)}</a>'
    return f"<code>{esc(url)}</code>"


def table(headers: list[str], rows: list[list[str]], cls: str = "", row_attrs: list[str] | None = None) -> str:
    """Cells are HTML already (built with esc/link); headers are plain text."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers) if any(headers) else ""
    body = "".join(f"<tr{(' ' + row_attrs[i]) if row_attrs else ''}>" + "".join(f"<td>{c}</td>" for c in row)
                   + "</tr>" for i, row in enumerate(rows))
    return f'<table class="{esc(cls)}">{f"<thead><tr>{head}</tr></thead>" if head else ""}<tbody>{body}</tbody></table>'


def num(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else esc(value)


def figure(src: str, alt: str) -> str:
    return f'<figure><img src="{esc(src)}" alt="{esc(alt)}"></figure>'


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def layout(title: str, body: str, root: str, nav: list[tuple[str, str]]) -> str:
    """A whole page; ``root`` is the relative path from the page to the report folder, made the
    page's base, so every link in the report is written relative to the report folder."""
    links = " ".join(link(href, text) for href, text in nav)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            + (f'<base href="{esc(root)}">' if root else "")
            + f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(title)}</title>"
            '<link rel="stylesheet" href="assets/report.css"></head>'
            f"<body><nav>{links}</nav><main><h1>{esc(title)}</h1>{body}</main></body></html>\n")


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#fafbfc}
nav{background:#1d2433;padding:.5em 1em}nav a{color:#fff;margin-right:1.2em;text-decoration:none}
main{max-width:1100px;margin:0 auto;padding:1em 1.5em}
h1{font-size:1.5em;word-break:break-all}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{border:1px solid #d0d7de;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#eef1f4}td.n,th.n{text-align:right}
tr.representative td{background:#eaf5ea}
.tag{display:inline-block;background:#dde4ee;border-radius:3px;padding:0 5px;font-size:12px;margin-left:.3em}
.tag.rep{background:#2e7d32;color:#fff}
figure{margin:.8em 0}figure img{max-width:100%;background:#fff;border:1px solid #e3e7ec}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:1em}
pre{white-space:pre-wrap;word-break:break-word;background:#fff;border:1px solid #e3e7ec;padding:.5em;margin:.3em 0}
.text pre{border:none;margin:0;padding:0 .5em}
.text{border:1px solid #e3e7ec;background:#fff;margin:.4em 0}
.removed{background:#fdecea;border-left:4px solid #c62828}.removed pre{background:#fdecea;color:#8a1c1c;text-decoration:line-through}
.why{font-size:12px;color:#8a1c1c;padding:0 .5em}
.diff .add{background:#e6ffec;display:block}.diff .del{background:#ffebe9;display:block}.diff .hunk{color:#6e7781;display:block}
.note{color:#57606a}.member{margin:1.2em 0;padding:.5em .8em;border:1px solid #d0d7de;background:#fff}
"""
