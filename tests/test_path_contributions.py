"""Path contributions of a LightGBM model: every row's walk ends in the leaf LightGBM predicts
with, and the strongest contribution names the feature that decides.

LightGBM runs on one thread here: an OpenMP pool started in the test process would leave the
workers that later tests fork from it waiting forever on their first prediction."""
from __future__ import annotations

import lightgbm as lgb
import numpy as np

from storydedup.pipeline.strip.model.paths import PathContributions


def booster(X: np.ndarray, y: np.ndarray, **params) -> lgb.Booster:
    params = {"objective": "binary", "num_leaves": 7, "min_data_in_leaf": 5, "verbose": -1, "seed": 1,
              "num_threads": 1, **params}
    return lgb.train(params, lgb.Dataset(X, y), num_boost_round=25)


def test_contributions_add_up_to_the_raw_score_with_missing_and_zero_values():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(600, 5))
    X[rng.random(X.shape) < 0.15] = np.nan  # a missing value goes where LightGBM sends it
    X[rng.random(X.shape) < 0.15] = 0.0
    y = ((np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * np.isnan(X[:, 2])) > 0.2).astype(int)
    for params in ({}, {"zero_as_missing": True}, {"use_missing": False}):
        model = booster(X, y, **params)
        paths = PathContributions(model)
        probe = np.vstack([X[:200], rng.normal(size=(50, 5)) * 3])
        got = paths.contributions(probe)
        assert got.shape == (len(probe), 6)
        np.testing.assert_allclose(got.sum(axis=1), model.predict(probe, raw_score=True, num_threads=1), atol=1e-9)
        exact = model.predict(probe, pred_contrib=True, num_threads=1)
        np.testing.assert_allclose(got[:, -1], exact[:, -1], atol=1e-9)  # the same expected output


def test_the_deciding_feature_contributes_most():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(800, 4))
    y = (X[:, 2] > 0).astype(int)  # only feature 2 matters
    got = PathContributions(booster(X, y)).contributions(X)
    assert (np.abs(got[:, :-1]).argmax(axis=1) == 2).mean() > 0.95
