"""Text decoding and repair: bytes of unknown charset -> text, then mojibake and whitespace.

    charset   bytes -> text (byte-order marks, declared and detected charsets)
    repair    the repair stage: ftfy behind a cheap gate, invisible characters, whitespace
    badness   the cheap test of whether a line may hold mojibake at all
"""
