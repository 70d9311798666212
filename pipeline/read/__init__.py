"""Read stage: find input files, cut them into documents, decode their bytes.

    inputs   which files and which units (lines, WARC records, pages) they hold
    items    one raw unit -> a record with decoded text, or a reject
"""
