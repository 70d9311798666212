"""Interface wording of open-source publishing and comment software, translated in many languages.

Widgets are where boilerplate comes from, and their wording is the same few things in every
language: sign up, your e-mail address, become a member, reply, report, newest first. Two MIT
licensed projects ship that wording translated by their communities:
- Ghost (ghost.org): its Portal (membership, newsletter sign-up, paywall and account screens)
  and its comment widget, each in about 60 languages;
- Isso (isso-comments.de): a comment widget, in about 30 languages.
``fetch`` reads their published archives (pinned, checked by SHA-256) into ``{language: texts}``.
Training turns the texts into the strip model's widget vocabulary (``features.build_vocab``),
which the model file stores, and synthetic pages word their widgets with them (``synth.py``).
Serving never reads these archives.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CACHE = Path.home() / ".cache" / "storydedup" / "catalogs"
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}|\{[^}]*\}|<[^>]*>|%\([^)]*\)s|%[sd]")


@dataclass(frozen=True)
class Source:
    name: str
    url: str
    sha256: str
    read: Callable[[bytes], dict[str, list[str]]]  # archive -> {language code as published: texts}


def _member(archive: bytes, name: str) -> str:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return tar.extractfile(name).read().decode("utf-8")


def ghost_portal(archive: bytes) -> dict[str, list[str]]:
    """The Portal bundle's source map holds each language's file (``locales/<lang>/portal.json``,
    English text -> translation; untranslated entries are empty)."""
    smap = json.loads(_member(archive, "package/umd/portal.min.js.map"))
    out: dict[str, list[str]] = {}
    for path, content in zip(smap["sources"], smap.get("sourcesContent") or ()):
        found = re.search(r"locales/([^/]+)/portal\.json$", path)
        if found and content:
            table = json.loads(content)
            out[found.group(1)] = list(table) if found.group(1) == "en" else [v for v in table.values() if v]
    return out


def ghost_comments(archive: bytes) -> dict[str, list[str]]:
    """The comment widget's bundle names each language's table (``"../../locales/<lang>/comments.json":
    NAME``) and defines ``NAME={"English text":`translation`,...}`` elsewhere in it."""
    code = _member(archive, "package/umd/comments-ui.min.js")
    out: dict[str, list[str]] = {}
    for lang, name in re.findall(r'"\.\./\.\./locales/([^/"]+)/comments\.json":([\w$]+)', code):
        start = re.search(rf"(?<![\w$.]){re.escape(name)}=\{{", code)
        if start is None:
            continue
        body = code[start.end():code.index("}", code.index("`}", start.end()))]  # the table ends after its last text
        pairs = re.findall(r'(?:"((?:[^"\\]|\\.)*)"|([\w$]+)):`([^`]*)`', body)
        out[lang] = [(a or b) for a, b, _ in pairs] if lang == "en" else [v for _, _, v in pairs if v]
    return out


def isso(archive: bytes) -> dict[str, list[str]]:
    """The source archive's ``isso/js/app/i18n/<lang>.js``: ``"key": "text"`` lines."""
    out: dict[str, list[str]] = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar.getmembers():
            found = re.search(r"/js/app/i18n/([\w-]+)\.js$", member.name)
            if found:
                code = tar.extractfile(member).read().decode("utf-8")
                texts = re.findall(r'"[\w-]+"\s*:\s*"((?:[^"\\]|\\.)*)"', code)
                out[found.group(1)] = [t for text in texts for t in text.split("\\n") if t]  # plural forms
    return out


SOURCES = (
    Source("ghost-portal", "https://registry.npmjs.org/@tryghost/portal/-/portal-2.71.227.tgz",
           "36cc22e5cf9af08a3831ed41bff63eefe9440b7e56208234737bc1c7bdf68a5c", ghost_portal),
    Source("ghost-comments-ui", "https://registry.npmjs.org/@tryghost/comments-ui/-/comments-ui-1.6.324.tgz",
           "d639d054663609a9f78114fee18c911e575aa7fb3652f4264e5e0a44a860333d", ghost_comments),
    Source("isso", "https://files.pythonhosted.org/packages/2c/9a/"
           "a55fbe74e93b5203e27f4e55ab339b2ab64d59ad052409685218251f5cce/isso-0.14.0.tar.gz",
           "9e2ac090f49aeb8e33871280fcf9680e0ec68dcca50b5ef72e5f275df623c9e5", isso),
)


def language(code: str) -> str:
    """The ISO 639-1 part of a published code: pt_BR, pt-BR -> pt; zh_Hant, zh-CN -> zh."""
    return re.split(r"[-_@]", code)[0].lower()


def archive(source: Source, cache: Path) -> bytes:
    """The archive from ``cache``, downloaded there first if missing; its digest must match."""
    path = cache / Path(source.url).name
    if path.exists():
        data = path.read_bytes()
    else:
        with urllib.request.urlopen(source.url, timeout=60) as response:
            data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != source.sha256:
        raise ValueError(f"{source.name}: {source.url} has SHA-256 {digest}, expected {source.sha256}")
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return data


def fetch(cache: Path = CACHE, sources=SOURCES) -> dict[str, list[str]]:
    """``{language: sorted distinct texts}`` of all ``sources``, placeholders taken out."""
    merged: dict[str, set[str]] = {}
    for source in sources:
        for code, texts in source.read(archive(source, cache)).items():
            bucket = merged.setdefault(language(code), set())
            bucket.update(t for t in (" ".join(_PLACEHOLDER.sub(" ", x).split()) for x in texts) if t)
    return {lang: sorted(texts) for lang, texts in sorted(merged.items())}


# Words from this wordfreq Zipf value on are everyday language (in English: "free", "like",
# "more"); the widget words proper ("share" 5.2, "comment" 4.9, "subscribe" 4.0) stay below it.
ZIPF_COMMON = 5.5
_WORD = re.compile(r"[^\W\d_]{3,}")  # letters only: "e-mail" gives "mail"


def widget_words(texts: dict[str, list[str]], stop: frozenset) -> frozenset[str]:
    """The lower-cased words of ``texts`` (``fetch``) that are neither stop words nor, in their
    language as wordfreq knows it, everyday words."""
    from wordfreq import available_languages, zipf_frequency

    # wordfreq tokenizes Chinese, Japanese and Korean with optional dictionaries: not looked up
    known = set(available_languages()) - {"zh", "ja", "ko"}
    out = set()
    for lang, lines in texts.items():
        for word in {w for text in lines for w in _WORD.findall(text.lower())}:
            if word not in stop and not (lang in known and zipf_frequency(word, lang) >= ZIPF_COMMON):
                out.add(word)
    return frozenset(out)
