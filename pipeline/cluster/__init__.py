"""Cluster stage: near-duplicate clusters, then story clusters built from them.

    levels           the stage's entry point (``cluster``) and its settings
    candidates       LSH candidate pairs and their verification
    term_candidates  story pairs that share several heaviest terms
    linkage*         average linkage for stories
    similarity       cosine of story vectors
    representative   which member stands for a cluster
"""
