"""Speed of the repair stage against bare ftfy.fix_text, on clean and on damaged text.

    .venv/bin/python bench/bench_encoding.py [--docs 300] [--rounds 5] [--seed 1]

Builds a deterministic corpus of news-length documents in several languages (clean), and damaged
copies of them (UTF-8 read as cp1252/latin-1/MacRoman, double mojibake, mojibake in some lines,
entities, messy whitespace). Times ``repair_record`` and ``ftfy.fix_text`` on the same documents
in this process (best of N rounds) and prints MB/s and ratios. It also checks that the fast path
gives exactly the output of the full path (``repair_text_full``) on every document.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ftfy  # noqa: E402

from storydedup.pipeline.decode.repair import RepairSettings, repair_record, repair_text, repair_text_full  # noqa: E402

VOCAB = {
    "en": ("the minister said on Tuesday that talks with the union would resume after the "
           "holiday “we are close” according to officials — a spokesman added it’s unclear how "
           "many workers in São Paulo and Zürich were affected by 5 % cuts costing €40 million").split(),
    "de": ("der Bürgermeister sagte am Dienstag dass die Straße über den Fluss für Fußgänger "
           "gesperrt bleibt „wir prüfen das“ erklärte die Behörde nach Angaben der Polizei").split(),
    "fr": ("le ministre a déclaré mardi que les négociations reprendront après les fêtes « nous "
           "sommes proches » a-t-il ajouté selon l’agence à Genève où l’été était très chaud").split(),
    "es": ("el ministro dijo el martes que las conversaciones con el sindicato se reanudarán "
           "según fuentes oficiales en Córdoba y la región de Murcia donde llegó el niño").split(),
    "ru": ("министр заявил во вторник что переговоры с профсоюзом возобновятся после праздников "
           "по словам представителя ведомства в Москве и Санкт-Петербурге").split(),
    "el": "ο υπουργός δήλωσε την Τρίτη ότι οι συνομιλίες θα συνεχιστούν μετά τις γιορτές στην Αθήνα".split(),
    "zh": list("部长周二表示与工会的谈判将在假期后恢复据官员称许多工人受到影响北京上海"),
    "ja": list("大臣は火曜日に組合との交渉を休暇明けに再開すると述べた東京大阪の労働者"),
}
LANGS = ["en"] * 6 + ["de", "fr", "es", "ru", "el", "zh", "ja"]


def make_doc(rng: random.Random) -> str:
    lang = rng.choice(LANGS)
    words = VOCAB[lang]
    sep = "" if lang in ("zh", "ja") else " "
    stop = "。" if lang in ("zh", "ja") else "."
    paras = []
    for _ in range(rng.randint(6, 14)):  # news length: 2-6 KB
        sents = [sep.join(rng.choice(words) for _ in range(rng.randint(8, 25))) + stop
                 for _ in range(rng.randint(1, 4))]
        paras.append(sep.join(s[0].upper() + s[1:] for s in sents))
    return "Headline of the day\n" + "\n\n".join(paras)


def mojibake(text: str, codec: str) -> str:
    return text.encode("utf-8").decode(codec, errors="replace")


def damage(text: str, rng: random.Random) -> str:
    kind = rng.choice(["cp1252", "latin-1", "macroman", "double", "partial", "entities", "spaces"])
    if kind in ("cp1252", "latin-1", "macroman"):
        return mojibake(text, {"macroman": "mac_roman"}.get(kind, kind))
    if kind == "double":
        return mojibake(mojibake(text, "cp1252"), "cp1252")
    lines = text.split("\n")
    if kind == "partial":
        return "\n".join(mojibake(ln, "cp1252") if i % 3 == 1 else ln for i, ln in enumerate(lines))
    if kind == "entities":
        return text.replace("&", "&amp;").replace("é", "&eacute;").replace("—", "&mdash;")
    return "\n".join("  " + ln.replace(" ", "  ") + " \r" for ln in lines) + "\n\n\n"


def timed(fn, docs, rounds):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for doc in docs:
            fn(doc)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    clean = [make_doc(rng) for _ in range(args.docs)]
    damaged = [damage(doc, rng) for doc in clean]
    settings = RepairSettings()

    def ours(doc):
        repair_record({"text": doc, "notes": {}}, settings)

    def full(doc):
        repair_text_full(doc, settings)

    for name, docs in (("clean", clean), ("damaged", damaged)):
        mismatches = sum(repair_text(d, settings) != repair_text_full(d, settings) for d in docs)
        mb = sum(len(d.encode("utf-8")) for d in docs) / 1e6
        t_ftfy = timed(ftfy.fix_text, docs, args.rounds)
        t_ours = timed(ours, docs, args.rounds)
        t_full = timed(full, docs, args.rounds)
        changed = sum(repair_text(d, settings)[0] != d for d in docs)
        print(f"{name:8s} {len(docs)} docs, {mb:.2f} MB, changed by repair: {changed}, "
              f"fast != full outputs: {mismatches}")
        print(f"  ftfy.fix_text      {mb / t_ftfy:8.2f} MB/s")
        print(f"  repair_record      {mb / t_ours:8.2f} MB/s   speed vs ftfy: {t_ftfy / t_ours:6.2f}x")
        print(f"  repair (full path) {mb / t_full:8.2f} MB/s   speed vs ftfy: {t_ftfy / t_full:6.2f}x")


if __name__ == "__main__":
    main()
