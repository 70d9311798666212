"""Shared fixtures: a small corpus written by the tests, paths to ../shared, a CLI runner."""
from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

ARTICLE = (
    "Harbour cranes stood idle in Porto Velho on Tuesday as dock workers began a 48-hour strike "
    "over night-shift pay, the port authority said.\n\n"
    "The union said talks with the operators had broken down after nine weeks and that about "
    "1,200 members had joined the walkout at the container terminal.\n\n"
    "Operators said three cargo ships had been diverted to a neighbouring port and warned that "
    "perishable goods could spoil if the dispute dragged on into the weekend."
)
OTHER = (
    "A new footbridge over the Rio Claro opened to pedestrians on Monday, two years after floods "
    "swept away the old crossing, the town council announced.\n\n"
    "The steel bridge cost 4.2 million and was built by a local firm; cyclists will be allowed "
    "on it from next month once lighting has been installed."
)
PAGE = """<html><head><meta charset="utf-8"><title>Bridge opens</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Bridge opens in Rio Claro</h1>{paras}</article>
<footer>Copyright 2026 Example Times</footer></body></html>"""


def write_corpus(root: Path) -> Path:
    """A mixed corpus: txt files, an HTML page, and a JSONL feed with rejectable lines."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "wire").mkdir()
    (root / "wire" / "strike.txt").write_text("Port strike halts cranes\n\n" + ARTICLE, encoding="utf-8")
    (root / "wire" / "strike-copy.txt").write_text("Dockers walk out\n\n" + ARTICLE, encoding="utf-8")
    (root / "wire" / "latin1.txt").write_bytes(("Café reopens\n\n" + OTHER.replace("local", "café-owned")).encode("cp1252"))
    paras = "".join(f"<p>{p}</p>" for p in OTHER.split("\n\n"))
    (root / "page.html").write_text(PAGE.format(paras=paras), encoding="utf-8")
    rows = [
        json.dumps({"id": "feed-1", "text": ARTICLE, "url": "https://example.org/a", "title": "Strike"}),
        json.dumps({"id": "feed-2", "text": "   "}),
        "{not json",
        json.dumps({"id": "feed-1", "text": OTHER, "source": "Example Times"}),
        json.dumps({"id": "feed-3", "html": PAGE.format(paras="<p>" + OTHER + "</p>"), "url": "https://example.org/b"}),
    ]
    with gzip.open(root / "feed.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    return root


@pytest.fixture
def corpus(tmp_path) -> Path:
    return write_corpus(tmp_path / "in")


@pytest.fixture
def seeds_dir() -> Path:
    path = SHARED / "seeds"
    if not path.is_dir():
        pytest.skip("../shared/seeds is not beside the checkout")
    return path


@pytest.fixture
def cli(capsys):
    """Run the storydedup CLI in-process; returns (exit code, stdout, stderr)."""
    from storydedup.tasks.cli import main

    def run(*argv):
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# Labelled pages for the strip model's tests: menu, headline, prose, a comment thread, footer.
WORDS = ("the council said on monday that the new bridge over the river would open in spring after "
         "years of delays and rising costs which residents of both towns had criticised at meetings").split()
MENU = ["Home", "News", "Sport", "Weather", "Contact us", "About", "Login", "Privacy policy", "Archive"]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def document(rng: random.Random, i: int) -> dict:
    """Menu, a headline, prose paragraphs, a comment thread, a footer; one label per line."""
    lines: list[tuple[str, str]] = [(m, "chrome") for m in rng.sample(MENU, 5)]
    lines.append((f"Bridge story number {i}", "body"))
    lines += [(" ".join(sentence(rng, rng.randint(10, 18)) for _ in range(3)), "body") for _ in range(rng.randint(3, 6))]
    lines.append((f"{rng.randint(2, 40)} comments", "chrome"))
    for _ in range(rng.randint(1, 3)):
        lines += [(f"reader{rng.randint(1, 999)} said,", "comment"), ("Great post, thanks!", "comment"),
                  (f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.2024 {rng.randint(10, 23)}:{rng.randint(10, 59)}", "comment"),
                  ("Reply", "chrome")]
    lines += [("© 2024 Example News", "chrome"), ("", None)]
    return {"id": f"d{i:03d}", "text": "\n".join(t for t, _ in lines), "lines": [lab for _, lab in lines],
            "source": "made"}
