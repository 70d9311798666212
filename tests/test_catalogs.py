"""Widget catalogs: the published archives' three layouts read into texts by language, the digest
check, the word list made of them and the ``widget_share`` feature that reads it. The archives
here are small ones made by the test in the layouts of the real ones."""
from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

from storydedup.pipeline.strip.model import catalogs
from storydedup.pipeline.strip.model.catalogs import Source, fetch, widget_words
from storydedup.pipeline.strip.model.features import Vocab, build_vocab, feature_names, featurize


def tgz(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


PORTAL = tgz({"package/umd/portal.min.js.map": json.dumps({
    "sources": ["../../../packages/i18n/locales/en/portal.json", "../../../packages/i18n/locales/pl/portal.json",
                "../../src/App.js"],
    "sourcesContent": [json.dumps({"Sign up": "", "Your email address": ""}),
                       json.dumps({"Sign up": "Zarejestruj się", "Your email address": "Twój adres e-mail",
                                   "Untranslated": "", "{amount} off": "{amount} rabatu"}),
                       "export default 1;"]})})
COMMENTS = tgz({"package/umd/comments-ui.min.js": (
    'var x=1,av={"1 comment":`1 comment`,Reply:`Reply`},ov={"1 comment":`1 komentarz`,Reply:`Odpowiedz`,'
    'Report:`Zgłoś`};var vb=gb({"../../locales/en/comments.json":av,"../../locales/pl/comments.json":ov});')})
ISSO = tgz({"isso-9.9/isso/js/app/i18n/pt_BR.js": (
    'module.exports= {\n    "comment-reply": "Responder",\n'
    '    "num-comments": "Um comentário\\n{{ n }} comentários"\n};\n')})


def sources(tmp_path, archives: dict[str, bytes], reader) -> list[Source]:
    out = []
    for name, data in archives.items():
        (tmp_path / name).write_bytes(data)
        out.append(Source(name, f"https://registry.example/{name}", hashlib.sha256(data).hexdigest(), reader))
    return out


def test_each_layout_gives_its_texts_by_language(tmp_path):
    found = fetch(tmp_path, sources(tmp_path, {"portal.tgz": PORTAL}, catalogs.ghost_portal)
                  + sources(tmp_path, {"comments.tgz": COMMENTS}, catalogs.ghost_comments)
                  + sources(tmp_path, {"isso.tgz": ISSO}, catalogs.isso))
    # English: the tables' keys; others: their non-empty translations, placeholders taken out
    assert found["en"] == ["1 comment", "Reply", "Sign up", "Your email address"]
    assert found["pl"] == ["1 komentarz", "Odpowiedz", "Twój adres e-mail", "Zarejestruj się", "Zgłoś", "rabatu"]
    assert found["pt"] == ["Responder", "Um comentário", "comentários"]  # pt_BR is pt; plural forms apart


def test_an_archive_that_is_not_the_pinned_one_is_an_error(tmp_path):
    (tmp_path / "portal.tgz").write_bytes(PORTAL)
    wrong = Source("portal", "https://registry.example/portal.tgz", "0" * 64, catalogs.ghost_portal)
    with pytest.raises(ValueError, match="SHA-256"):
        fetch(tmp_path, [wrong])


def test_widget_words_leave_out_stop_words_and_everyday_words():
    words = widget_words({"en": ["Subscribe to the newsletter", "Sign up for free"],
                          "pl": ["Zapisz się na newsletter"]}, frozenset({"the", "to", "for", "się", "na"}))
    assert {"subscribe", "newsletter", "sign", "zapisz"} <= words
    assert not words & {"the", "for", "free", "na"}  # "free" is everyday English (Zipf 5.6)


def test_a_line_of_widget_words_has_a_widget_share_in_any_inflection():
    vocab = build_vocab(widget_texts={"pl": ["Subskrypcja newslettera", "Twój adres e-mail"]})
    assert "subskrypcja" in vocab.widget
    text = ("Radni zdecydowali we wtorek o przebudowie ulicy Długiej, która potrwa do jesieni.\n"
            "Zamów subskrypcję naszego newslettera\n"
            "Prace rozpoczną się w maju i obejmą także chodniki oraz oświetlenie.")
    col = feature_names().index("widget_share")
    share = featurize([text], vocab).X[:, col]
    assert share[1] > 0.5 and share[0] == 0 and share[2] == 0
    empty = Vocab(vocab.stop, vocab.stop_chars, vocab.languages)  # no word list: the feature is 0
    assert not featurize([text], empty).X[:, col].any()
