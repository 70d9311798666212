"""Signature stage: per-document arrays for both grouping levels.

    compute          the stage's entry point (``compute_signatures``) and its settings
    shingles         word shingles of the normalised text, hashed
    minhash          MinHash of shingle hashes (datasketch's affine32 scheme, vectorised)
    story*           salient-term vectors and their MinHash (story level)
    recurring_lines  hashes of lines, so links explained only by a site template can be dropped
"""
