"""Persistent index: three daily batches through both backends, ids stable across days,
first batch equal to one-batch clustering, re-runs replace, old batches evicted."""
from __future__ import annotations

import contextlib
import json
import random
import threading

import numpy as np
import pytest
from redis_server import redis_port, redis_url  # noqa: F401  (fixtures)

from storydedup.pipeline.cluster.levels import ClusterSettings, cluster
from storydedup.pipeline.dates import day_number
from storydedup.pipeline.index import open_index
from storydedup.pipeline.index.band_tables import table_names
from storydedup.pipeline.index.store import LEVELS, ConcurrentUpdate
from storydedup.pipeline.signatures.compute import SignatureSettings, compute_signatures

WIRE = (
    "Firefighters in Varnholm battled a blaze at the Kestrel Bay desalination plant for six hours "
    "on Sunday, and the regional water board warned that supplies to about 40,000 households could "
    "be rationed until repairs are finished.\n\n"
    "The fire started in a pump hall shortly after midnight, according to the Varnholm fire service, "
    "and spread to a storage building holding filtration membranes. No one was injured.\n\n"
    "Plant director Ilse Marrow said engineers would inspect the intake pipes on Monday. The Kestrel "
    "Bay plant supplies nearly half of the drinking water used in Varnholm and the surrounding "
    "villages.\n\n"
    "Water board spokesman Teodor Quill urged residents to avoid watering gardens and washing cars. "
    "Investigators have not yet determined the cause of the fire, but police said there was no sign "
    "of arson."
)
EDITED = (
    WIRE.replace("battled", "fought").replace("about 40,000", "roughly 40,000")
    .replace("No one was injured.", "Nobody was hurt.")
    + "\n\nThe plant was opened in 2011 and expanded four years later."
)
FOLLOW_UP = (
    "Water rationing began across Varnholm on Tuesday, two days after fire gutted the pump hall of "
    "the Kestrel Bay desalination works.\n\n"
    "Teodor Quill, who speaks for the regional water board, told reporters that 40,000 households "
    "would receive water for only eight hours a day while the damaged membranes are replaced.\n\n"
    "Ilse Marrow, the director of the plant, estimated that the intake pipes survived the blaze "
    "but said new filtration membranes had to be shipped from abroad.\n\n"
    "Shopkeepers in the Varnholm harbour district complained that the rationing schedule was "
    "announced too late, and the fire service repeated that arson had been ruled out."
)
UNRELATED = (
    "Botanists surveying the Ostrava ridge found a colony of ghost orchids, a flower last recorded "
    "in the region in 1987, the national herbarium announced on Monday.\n\n"
    "Dr Paloma Renk, who led the survey, said the 23 plants grew under beech trees near an old "
    "quarry and that their location would be kept secret to deter collectors.\n\n"
    "The herbarium plans to monitor the colony through the summer and to collect seeds for its "
    "conservation bank if the flowers are pollinated."
)
DAYS = ("2026-03-02", "2026-03-03", "2026-03-04")


def filler(seed: int) -> str:
    """A report about something else entirely: invented names, common glue words."""
    rng = random.Random(seed)
    names = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)).title()
             for _ in range(60)]
    glue = ["the", "of", "and", "to", "in", "a", "that", "for", "on", "was", "with", "it", "as", "at", "by", "from", "said", "after"]
    words = [rng.choice(names) if rng.random() < 0.7 else rng.choice(glue) for _ in range(120)]
    return " ".join(words) + "."


def batch(day: int) -> list[dict]:
    published = DAYS[day]
    recs = [{"id": f"d{day}-misc{k}", "text": filler(day * 100 + k), "published": published} for k in range(6)]
    if day == 0:
        recs.append({"id": "wire", "text": WIRE, "title": "Fire at desalination plant", "published": published})
    if day == 1:
        recs.append({"id": "edited", "text": EDITED, "title": "Fire at desalination plant", "published": published})
        recs.append({"id": "orchid", "text": UNRELATED, "title": "Ghost orchids found", "published": published})
    if day == 2:
        recs.append({"id": "followup", "text": FOLLOW_UP, "title": "Varnholm rations water", "published": published})
    return recs


def arrays(day: int) -> dict[str, np.ndarray]:
    return compute_signatures(batch(day), SignatureSettings())


def run_days(location: str, days=(0, 1, 2), window: int = 7):
    index = open_index(location)
    out = [index.group_batch(DAYS[d], day_number(DAYS[d]), arrays(d), ClusterSettings(), window) for d in days]
    return index, out


def canonical(result) -> str:
    assignments, clusters, _ = result
    return json.dumps([assignments, sorted(clusters, key=lambda c: (c["level"], c["id"]))], sort_keys=True)


def check_story(out) -> None:
    (a1, _, _), (a2, c2, s2), (a3, c3, s3) = out
    wire = a1["wire"]
    assert wire["dup_cluster"] == "dup-2026-03-02/wire" and wire["story_cluster"] == "story-2026-03-02/wire"
    assert a2["edited"]["dup_cluster"] == wire["dup_cluster"]
    assert a2["edited"]["story_cluster"] == wire["story_cluster"]
    assert a3["followup"]["story_cluster"] == wire["story_cluster"]
    assert a3["followup"]["dup_cluster"] == "dup-2026-03-04/followup"
    assert a2["orchid"]["story_cluster"] == "story-2026-03-03/orchid"
    dup = next(c for c in c2 if c["id"] == wire["dup_cluster"])
    assert dup["members"] == ["2026-03-02/wire", "2026-03-03/edited"] and dup["size"] == 2
    assert dup["representative"] == "2026-03-03/edited"  # the longer copy under "longest"
    story = next(c for c in c3 if c["id"] == wire["story_cluster"])
    assert story["members"] == ["2026-03-02/wire", "2026-03-03/edited", "2026-03-04/followup"]
    assert s2["extended_dup_clusters"] == 1 and s2["extended_stories"] == 1
    assert s3["extended_stories"] == 1 and s3["extended_dup_clusters"] == 0
    assert s3["index_documents"] == sum(len(batch(d)) for d in range(3))


def test_story_continues_across_three_days(tmp_path):
    index, out = run_days(str(tmp_path / "idx"))
    check_story(out)
    assert index.batches() == list(DAYS)
    index.close()


def test_first_batch_equals_one_batch_clustering(tmp_path):
    recs = batch(0) + batch(1) + [dict(r, id=r["id"] + "-copy") for r in batch(1)]
    arr = compute_signatures(recs, SignatureSettings())
    expected_assign, expected_clusters, _ = cluster(arr, ClusterSettings())
    index = open_index(str(tmp_path / "idx"))
    got_assign, got_clusters, stats = index.group_batch("2026-03-02", day_number("2026-03-02"), arr,
                                                        ClusterSettings(), 7)
    renamed = {k: {f: (v.replace("-", "-2026-03-02/", 1) if f.endswith("_cluster") else v)
                   for f, v in entry.items()} for k, entry in expected_assign.items()}
    assert got_assign == renamed
    key = lambda c: (c["level"], c["id"])
    renamed_clusters = [{"level": c["level"], "id": c["id"].replace("-", "-2026-03-02/", 1),
                         "members": ["2026-03-02/" + m for m in c["members"]],
                         "representative": "2026-03-02/" + c["representative"], "size": c["size"]}
                        for c in expected_clusters]
    assert sorted(got_clusters, key=key) == sorted(renamed_clusters, key=key)
    assert stats["new_dup_clusters"] < len(recs)  # the copies did group


def test_rerunning_a_day_replaces_it(tmp_path):
    index, out = run_days(str(tmp_path / "idx"), days=(0, 1))
    again = index.group_batch(DAYS[1], day_number(DAYS[1]), arrays(1), ClusterSettings(), 7)
    assert canonical(again) == canonical(out[1])
    assert again[2]["replaced"] == len(batch(1))
    assert again[2]["index_documents"] == len(batch(0)) + len(batch(1))
    third = index.group_batch(DAYS[2], day_number(DAYS[2]), arrays(2), ClusterSettings(), 7)
    check_story([out[0], again, third])
    index.close()


def test_regrouping_the_last_committed_day_unchanged_commits_nothing(tmp_path):
    """A run killed between its index commit and its stage output groups the day again: when
    that gives the payload the index holds and nothing was committed since, the index stays as
    it was (same manifest, sequence numbers included). Any other re-run commits."""
    index, out = run_days(str(tmp_path / "idx"), days=(0, 1))
    before = index.store.manifest()
    again = index.group_batch(DAYS[1], day_number(DAYS[1]), arrays(1), ClusterSettings(), 7)
    assert canonical(again) == canonical(out[1]) and again[2]["already_in_index"] == 1
    assert index.store.manifest() == before
    fewer = compute_signatures(batch(1)[1:], SignatureSettings())  # another payload: committed
    changed = index.group_batch(DAYS[1], day_number(DAYS[1]), fewer, ClusterSettings(), 7)
    assert changed[2]["already_in_index"] == 0 and index.store.manifest()["seq"] == before["seq"] + 1
    # the same payload as an earlier commit, but a later one came since: committed again
    first = index.group_batch(DAYS[0], day_number(DAYS[0]), arrays(0), ClusterSettings(), 7)
    assert first[2]["already_in_index"] == 0 and index.store.manifest()["seq"] == before["seq"] + 2
    index.close()


def test_old_batches_are_evicted(tmp_path):
    index, out = run_days(str(tmp_path / "idx"))
    late = "2026-03-07"
    recs = [{"id": "wire-again", "text": WIRE, "published": late}]
    assignments, _, stats = index.group_batch(late, day_number(late), compute_signatures(recs, SignatureSettings()),
                                                     ClusterSettings(), 3)
    assert index.batches() == ["2026-03-04", late]
    assert stats["evicted"] == len(batch(0)) + len(batch(1)) and stats["evicted_batches"] == list(DAYS[:2])
    assert assignments["wire-again"]["dup_cluster"] == "dup-2026-03-07/wire-again"
    assert assignments["wire-again"]["story_cluster"] == out[2][0]["followup"]["story_cluster"]
    assert stats["index_documents"] == len(batch(2)) + 1
    index.close()


def test_reopened_index_continues(tmp_path):
    path = str(tmp_path / "idx")
    index, first = run_days(path, days=(0,))
    index.close()
    index = open_index(path)
    rest = [index.group_batch(DAYS[d], day_number(DAYS[d]), arrays(d), ClusterSettings(), 7) for d in (1, 2)]
    check_story(first + rest)


@pytest.mark.redis
def test_redis_backend_gives_identical_clusters(tmp_path, redis_url):  # noqa: F811
    embedded, out_e = run_days(str(tmp_path / "idx"))
    redis_index, out_r = run_days(redis_url)
    check_story(out_r)
    assert [canonical(x) for x in out_r] == [canonical(x) for x in out_e]
    assert redis_index.batches() == embedded.batches()
    again = redis_index.group_batch(DAYS[1], day_number(DAYS[1]), arrays(1), ClusterSettings(), 7)
    assert again[0] == out_r[1][0]  # day 3 already in the index: the same ids come back
    assert again[2]["index_documents"] == out_r[1][2]["index_documents"]  # counted up to day 2, as at first
    late = "2026-03-07"
    recs = compute_signatures([{"id": "wire-again", "text": WIRE, "published": late}], SignatureSettings())
    evict_r, evict_e = (ix.group_batch(late, day_number(late), recs, ClusterSettings(), 3) for ix in (redis_index, embedded))
    assert canonical(evict_r) == canonical(evict_e) and evict_r[2]["evicted_batches"] == list(DAYS[:2])
    db, prefix = redis_index.store.db, redis_index.store.prefix
    live = {e["gen"] for e in redis_index.store.manifest()["batches"].values()}
    assert {k.decode().split(":")[2] for k in db.scan_iter(match=f"{prefix}:g:*")} == live
    # each generation carries its own LSH tables; outside generations only the manifest and the marker
    for gen in live:
        assert all(db.exists(f"{prefix}:g:{gen}:{name}") for level in LEVELS for name in table_names(level))
    outside = {k.decode() for k in db.scan_iter(match=f"{prefix}:*") if b":g:" not in k}
    assert outside == {f"{prefix}:manifest", f"{prefix}:marker"}
    redis_index.close()
    embedded.close()


@pytest.mark.redis
def test_redis_index_in_an_older_layout_is_refused(redis_url):  # noqa: F811
    from storydedup.pipeline.index.store import IndexLocationError

    index, _ = run_days(redis_url, days=(0,))
    db, prefix = index.store.db, index.store.prefix
    gen = index.store.manifest()["batches"][DAYS[0]]["gen"]
    meta = json.loads(db.get(f"{prefix}:g:{gen}:meta"))
    index.close()
    for level in LEVELS:  # as an older version wrote it: no LSH tables among the generation's values
        for name in table_names(level):
            meta.pop(name)
    db.set(f"{prefix}:g:{gen}:meta", json.dumps(meta))
    with pytest.raises(IndexLocationError, match="older storydedup"):
        open_index(redis_url)


def test_document_bridging_two_old_clusters_merges_them_into_the_older_id(tmp_path):
    short_wire = "\n\n".join(WIRE.split("\n\n")[:2])  # about the size of the orchid report
    first = [{"id": "wire", "text": short_wire, "published": DAYS[0]},
             {"id": "orchid", "text": UNRELATED, "published": DAYS[0]}]
    bridge = [{"id": "roundup", "text": short_wire + "\n\n" + UNRELATED, "published": DAYS[1]}]
    again = [{"id": "wire-again", "text": short_wire, "published": DAYS[2]}]
    index = open_index(str(tmp_path / "idx"))
    run = [index.group_batch(DAYS[d], day_number(DAYS[d]), compute_signatures(recs, SignatureSettings()),
                             ClusterSettings(), 7) for d, recs in enumerate((first, bridge, again))]
    (a1, _, _), (a2, c2, s2), (a3, _, _) = run
    assert a1["wire"]["dup_cluster"] != a1["orchid"]["dup_cluster"]
    assert a1["wire"]["story_cluster"] != a1["orchid"]["story_cluster"]
    older = min(a1["wire"]["dup_cluster"], a1["orchid"]["dup_cluster"])
    assert a2["roundup"]["dup_cluster"] == older == "dup-2026-03-02/orchid"
    assert s2["merged_dup_clusters"] == 1 and s2["merged_stories"] == 1
    dup = next(c for c in c2 if c["id"] == older)
    assert dup["members"] == ["2026-03-02/orchid", "2026-03-02/wire", "2026-03-03/roundup"]
    assert dup["aliases"] == ["dup-2026-03-02/wire"]
    story = next(c for c in c2 if c["level"] == "story")
    assert story["id"] == "story-2026-03-02/orchid" and story["size"] == 3
    # a later copy of the younger cluster's document lands in the merged cluster
    assert a3["wire-again"]["dup_cluster"] == older
    assert a3["wire-again"]["story_cluster"] == "story-2026-03-02/orchid"
    assert index.store.manifest()["alias"]["duplicate"] == {"dup-2026-03-02/wire": older}
    # once every batch written before the merge is evicted, nothing stores the old id any more
    late = "2026-03-08"
    index.group_batch(late, day_number(late), compute_signatures(again, SignatureSettings()), ClusterSettings(), 4)
    assert index.batches() == [DAYS[2], late]
    assert index.store.manifest()["alias"] == {"duplicate": {}, "story": {}}
    index.close()


def test_publication_dates_outside_the_window_do_not_match(tmp_path):
    index, out = run_days(str(tmp_path / "idx"), days=(0,))
    stale = [{"id": "reprint", "text": WIRE, "published": "2026-01-20"}]  # batch visible, date too old
    assignments, _, _ = index.group_batch(DAYS[1], day_number(DAYS[1]), compute_signatures(stale, SignatureSettings()),
                                          ClusterSettings(), 7)
    assert assignments["reprint"]["dup_cluster"] == "dup-2026-03-03/reprint"
    fresh = [{"id": "reprint", "text": WIRE, "published": DAYS[1]}]
    assignments, _, _ = index.group_batch(DAYS[1], day_number(DAYS[1]), compute_signatures(fresh, SignatureSettings()),
                                          ClusterSettings(), 7)
    assert assignments["reprint"]["dup_cluster"] == out[0][0]["wire"]["dup_cluster"]
    index.close()


@pytest.mark.redis
def test_bucket_cap_is_applied_identically(tmp_path, redis_url):  # noqa: F811
    settings = ClusterSettings(max_bucket=3)
    days = [[{"id": f"w{d}{k}", "text": WIRE, "published": DAYS[d]} for k in range(4 if d < 2 else 1)]
            for d in range(3)]
    results = []
    for location in (str(tmp_path / "idx"), redis_url):
        index = open_index(location)
        runs = [index.group_batch(DAYS[d], day_number(DAYS[d]), compute_signatures(recs, SignatureSettings()),
                                  settings, 7) for d, recs in enumerate(days)]
        results.append([canonical(r) for r in runs] + [runs[2][2]["candidate_old_documents"]])
        index.close()
    assert results[0] == results[1]
    assert results[0][-1] == 3  # 8 identical old copies, 3 read: the first in (batch, row) order
    last = json.loads(results[0][2])[0]["w20"]
    assert last["dup_cluster"] == "dup-2026-03-02/w00"


def _racing_commit(index, rival, rival_day: int):
    """Make ``index``'s next commit happen just after ``rival`` committed ``rival_day``."""
    commit = index.store.commit

    def late_commit(*args):
        rival.group_batch(DAYS[rival_day], day_number(DAYS[rival_day]), arrays(rival_day), ClusterSettings(), 7)
        commit(*args)

    index.store.commit = late_commit


@pytest.mark.parametrize("backend", ["embedded", pytest.param("redis", marks=pytest.mark.redis)])
def test_an_update_that_lost_a_race_changes_nothing(tmp_path, backend, request):
    location = request.getfixturevalue("redis_url") if backend == "redis" else str(tmp_path / "idx")
    first, _ = run_days(location, days=(0,))
    rival = open_index(location)
    _racing_commit(first, rival, 2)
    if backend == "embedded":  # one writer at a time: the rival would wait for the lock forever
        first.store.updating = rival.store.updating = contextlib.nullcontext
    with pytest.raises(ConcurrentUpdate):
        first.group_batch(DAYS[1], day_number(DAYS[1]), arrays(1), ClusterSettings(), 7)
    assert rival.batches() == [DAYS[0], DAYS[2]]
    reopened = open_index(location)
    assert reopened.batches() == [DAYS[0], DAYS[2]]
    live = {e["gen"] for e in reopened.store.manifest()["batches"].values()}
    if backend == "embedded":
        assert {p.name for p in (tmp_path / "idx").iterdir() if p.is_dir()} == live
    else:
        db, prefix = reopened.store.db, reopened.store.prefix
        assert {k.decode().split(":")[2] for k in db.scan_iter(match=f"{prefix}:g:*")} == live
    for ix in (first, rival, reopened):
        ix.close()


def test_embedded_updates_take_turns(tmp_path):
    location = str(tmp_path / "idx")
    first, _ = run_days(location, days=(0,))
    rival = open_index(location)
    order = []
    commit = rival.store.commit

    def note(*args):
        order.append("rival")
        commit(*args)

    rival.store.commit = note
    with first.store.updating():
        worker = threading.Thread(target=rival.group_batch, args=(DAYS[1], day_number(DAYS[1]), arrays(1),
                                                                   ClusterSettings(), 7))
        worker.start()
        worker.join(0.5)
        order.append("first released")
    worker.join()
    assert order == ["first released", "rival"]
    assert open_index(location).batches() == list(DAYS[:2])


def test_an_empty_day_is_committed_and_changes_nothing(tmp_path):
    index, out = run_days(str(tmp_path / "idx"), days=(0,))
    empty = compute_signatures([], SignatureSettings())
    assignments, clusters, stats = index.group_batch(DAYS[1], day_number(DAYS[1]), empty, ClusterSettings(), 7)
    assert (assignments, clusters, stats["documents"]) == ({}, [], 0)
    assert stats["index_documents"] == len(batch(0)) and index.batches() == list(DAYS[:2])
    third = index.group_batch(DAYS[2], day_number(DAYS[2]), arrays(2), ClusterSettings(), 7)
    assert third[0]["followup"]["story_cluster"] == out[0][0]["wire"]["story_cluster"]
    index.close()


def test_arrays_without_line_hashes_are_grouped_too(tmp_path):
    """Signature arrays made without per-line hashes (older shards, synthetic benchmarks)."""
    def without_lines(day):
        return {k: v for k, v in arrays(day).items() if not k.startswith("line_")}

    index = open_index(str(tmp_path / "idx"))
    out = [index.group_batch(DAYS[d], day_number(DAYS[d]), without_lines(d), ClusterSettings(), 7)
           for d in (0, 1, 2)]
    check_story(out)
    index.close()
