"""Bare trafilatura.extract (comments excluded) over HTML pages with a pool of processes.
Usage: python bare_trafilatura.py PAGES_JSONL PROCESSES"""
from __future__ import annotations

import json
import sys
from multiprocessing import Pool

import trafilatura


def extract(html: str) -> int:
    return len(trafilatura.extract(html, include_comments=False) or "")


def main(pages: str, processes: str) -> None:
    with open(pages, encoding="utf-8") as fh:
        htmls = [json.loads(line)["html"] for line in fh]
    with Pool(int(processes)) as pool:
        chars = sum(pool.map(extract, htmls, chunksize=16))
    print(f"{len(htmls)} pages, {chars} characters extracted")


if __name__ == "__main__":
    main(*sys.argv[1:3])
