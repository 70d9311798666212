"""Bytes of unknown charset -> text. (First implementation: UTF-8, else charset-normalizer.)"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Decoded:
    text: str
    charset: str
    confidence: float
    replaced: int  # characters that could not be decoded and became U+FFFD
    method: str  # "utf-8", "declared", "bom", "meta", "detected", ...


def decode_bytes(data: bytes, declared: str | None = None, is_html: bool = False) -> Decoded:
    try:
        return Decoded(data.decode("utf-8"), "utf-8", 1.0, 0, "utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    charset = best.encoding if best else "cp1252"
    text = data.decode(charset, errors="replace")
    return Decoded(text, charset, 1.0 - (best.chaos if best else 1.0), text.count("\ufffd"), "detected")
