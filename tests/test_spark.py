"""The Spark engine gives the local engine's clusters (local[1] masters, small data)."""
from __future__ import annotations

import gzip
import json
import random

import numpy as np
import pytest

from conftest import SHARED
from storydedup.pipeline.cluster import levels
from storydedup.pipeline.cluster.linkage import average_linkage, components
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures


def test_linkage_never_merges_across_candidate_components():
    """The claim the Spark engine's per-component linkage rests on (``levels.group_levels``)."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(2, 40))
        m = int(rng.integers(0, 3 * n))
        u, v = rng.integers(0, n, m), rng.integers(0, n, m)
        sim = np.round(rng.uniform(0.2, 2.0, m), 2)  # rounded: many ties between components
        sizes = rng.integers(1, 4, n)
        whole = average_linkage(sizes, u, v, sim, 1.0, 0.1)
        part = components(n, np.stack([u, v], axis=1))
        for label in np.unique(part):
            nodes = np.flatnonzero(part == label)  # ascending: the order inside is kept
            edges = np.flatnonzero(part[u] == label)
            local = average_linkage(sizes[nodes], np.searchsorted(nodes, u[edges]),
                                    np.searchsorted(nodes, v[edges]), sim[edges], 1.0, 0.1)
            assert np.array_equal(nodes[local], whole[nodes])


def test_components_number_clusters_by_their_first_row():
    """``group_levels`` relies on this: labels ordered like each cluster's smallest row."""
    rng = np.random.default_rng(3)
    for _ in range(100):
        n = 60
        label = components(n, rng.integers(0, n, (int(rng.integers(0, 80)), 2)))
        firsts = [int(np.flatnonzero(label == k)[0]) for k in range(label.max() + 1)]
        assert firsts == sorted(firsts)


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from storydedup.pipeline.spark.session import get_session

    session = get_session("local[1]", "storydedup-tests", {"spark.sql.shuffle.partitions": "1",
                                                           "spark.default.parallelism": "1"})
    yield session
    session.stop()


def eval_records(name: str, limit: int) -> list[dict]:
    path = next((SHARED / "eval" / name).glob("input.jsonl*"), None)
    if path is None:
        pytest.skip(f"../shared/eval/{name} is not beside the checkout")
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for _, line in zip(range(limit), fh)]
    return [{**r, "text": r.get("text") or ""} for r in rows]


@pytest.mark.spark
def test_signature_job_rows_equal_local_signatures(spark, tmp_path):
    from storydedup.pipeline.records import write_jsonl
    from storydedup.pipeline.spark import columns
    from storydedup.pipeline.spark.signatures import signature_frame

    records = eval_records("story_pairs", 60)
    files = []
    for k in range(0, len(records), 25):  # three shards
        files.append(str(tmp_path / f"shard-{k}.jsonl.gz"))
        write_jsonl(files[-1], records[k:k + 25])
    settings = SignatureSettings()
    rows = signature_frame(spark, files, settings).toPandas().sort_values("id").reset_index(drop=True)
    ours = columns.to_arrays(rows)
    local = levels.canonical_order(compute_signatures(records, settings))
    assert sorted(ours) == sorted(local)
    for key in local:
        assert np.array_equal(ours[key], local[key]), key


def template_records(seed: int = 5) -> list[dict]:
    """Two reports inside one site's chrome (six 30-word paragraphs) with a paragraph of their
    own each, and six unrelated pages carrying one chrome paragraph each: the reports are
    near-duplicates that only the template explains (every shared line recurs elsewhere)."""
    rng = random.Random(seed)
    vocab = [f"w{k}" for k in range(3000)]

    def paragraph():
        return " ".join(rng.choice(vocab) for _ in range(30)).capitalize() + "."

    chrome = [paragraph() for _ in range(6)]
    reports = [{"id": f"tmpl-report-{k}", "text": "\n".join(chrome[:3] + [paragraph()] + chrome[3:])}
               for k in range(2)]
    pages = [{"id": f"tmpl-page-{k}", "text": "\n".join([paragraph() for _ in range(10)] + [chrome[k]])}
             for k in range(6)]
    return reports + pages


def test_template_records_hold_one_template_only_link():
    """The constructed set reaches the template rejection (and links without the rule)."""
    arrays = compute_signatures(template_records(), SignatureSettings())
    assert levels.cluster(arrays, levels.ClusterSettings())[2]["dup_template_rejected"] == 1
    assert levels.cluster(arrays, levels.ClusterSettings(template_docs=2))[2]["dup_links"] == 1


@pytest.mark.spark
def test_spark_clusters_equal_local_clusters(spark):
    """Duplicates, template-only links, story links and linkage on real text: same ids, members,
    representatives, similarities and stage counts as ``levels.cluster``."""
    from storydedup.pipeline.spark import columns
    from storydedup.pipeline.spark.clusters import cluster_frames

    records = eval_records("near_dup", 120) + eval_records("story_pairs", 120)
    records += [{**r, "id": r["id"] + "-again"} for r in records[:10]]  # exact copies
    records += template_records()
    arrays = compute_signatures(records, SignatureSettings())
    settings = levels.ClusterSettings()
    assignments, clusters, stats = levels.cluster(arrays, settings)
    frame = spark.createDataFrame(columns.to_rows(arrays), columns.spark_schema())
    s_assign, s_clusters, s_stats = cluster_frames(spark, frame, settings)
    got = {r["id"]: {k: v for k, v in r.asDict().items() if k != "id"} for r in s_assign.collect()}
    got_clusters = sorted((r.asDict() for r in s_clusters.collect()), key=lambda c: (c["level"], c["id"]))
    assert got == assignments
    assert got_clusters == sorted(clusters, key=lambda c: (c["level"], c["id"]))
    assert any(c["size"] > 1 for c in clusters if c["level"] == "duplicate")
    assert any(c["size"] > 1 for c in clusters if c["level"] == "story")
    assert stats["dup_template_rejected"] >= 1  # the template path ran in both engines
    for key in ("dup_candidates", "dup_links", "dup_template_rejected", "story_candidates", "dup_clusters",
                "story_clusters", "dup_similarity_histogram", "story_score_histogram"):
        assert s_stats[key] == stats[key], key


@pytest.mark.spark
def test_components_by_large_and_small_star(spark):
    from storydedup.pipeline.spark.components import component_roots

    rng = np.random.default_rng(11)
    n = 300
    for layout in (1, 3):  # 3 partitions: contraction per partition leaves work for star rounds
        edges = rng.integers(0, n, (250, 2))
        frame = spark.createDataFrame([tuple(map(int, e)) for e in edges], "a long, b long").repartition(layout)
        roots = dict(component_roots(frame).select("node", "root").collect())
        label = components(n, edges)
        for node in range(n):
            first = int(np.flatnonzero(label == label[node])[0])
            assert roots.get(node, node) == first


def test_spark_master_needs_the_spark_engine(cli, corpus, tmp_path):
    code, _, err = cli("run", "--input", corpus, "--output", tmp_path / "out", "--spark-master", "local[1]")
    assert code == 2 and "--spark-master needs --engine spark" in err


@pytest.mark.spark
def test_cli_spark_engine_end_to_end(cli, corpus, tmp_path):
    """run --engine spark (spark-submit through Luigi) writes Parquet stage outputs and the same
    published files as the local engine; stats, inspect and rerun --from work over them."""
    pytest.importorskip("pyspark")
    local, spark = tmp_path / "local", tmp_path / "spark"
    config = tmp_path / "small.cfg"  # [spark] conf goes to spark-submit; tiny data, one partition
    config.write_text("[spark]\nconf = spark.sql.shuffle.partitions=1|spark.default.parallelism=1\n")
    assert cli("run", "--input", corpus, "--output", local, "--quiet")[0] == 0
    code, _, err = cli("run", "--input", corpus, "--output", spark, "--engine", "spark",
                       "--spark-master", "local[1]", "--config", config, "--quiet")
    assert code == 0, err
    for name in ("documents.jsonl", "clusters.jsonl", "rejects.jsonl"):
        assert (spark / name).read_bytes() == (local / name).read_bytes(), name
    clusters = [json.loads(line) for line in (spark / "clusters.jsonl").read_text().splitlines()]
    assert any(c["level"] == "duplicate" and c["size"] > 1 for c in clusters)
    assert list(spark.glob("60_signatures-*/signatures.parquet/*.parquet"))
    assert list(spark.glob("70_clusters-*/assignments.parquet/*.parquet"))
    assert not list(spark.glob("60_signatures-*/shard-*"))
    # the engine is not part of any stage's identity: same directory names as the local run
    assert sorted(p.name for p in spark.glob("[0-9]*")) == sorted(p.name for p in local.glob("[0-9]*"))
    assert json.loads((spark / "_run.json").read_text())["engine"] == "spark"

    code, out, _ = cli("stats", "--output", spark)
    assert code == 0 and "dup_candidates=" in out and "engine=spark" in out
    code, out, _ = cli("inspect", "--output", spark, "feed-1")
    assert code == 0 and "duplicate cluster" in out
    code, out, _ = cli("run", "--input", corpus, "--output", spark, "--config", config, "--quiet")  # local engine
    assert code == 0 and "Nothing to do" in out
