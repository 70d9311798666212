"""Serving a LightGBM model without LightGBM (``forest``): the same probabilities, bit for bit,
whatever the missing-value mode; path contributions: every row's walk ends in the leaf LightGBM
predicts with, and the strongest contribution names the feature that decides.

LightGBM runs on one thread here: an OpenMP pool started in the test process would leave the
workers that later tests fork from it waiting forever on their first prediction."""
from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from storydedup.pipeline.strip.model.forest import Forest
from storydedup.pipeline.strip.model.paths import contributions


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
        probe = np.vstack([X[:200], rng.normal(size=(50, 5)) * 3])
        got = contributions(Forest.from_booster(model), probe)
        assert got.shape == (len(probe), 6)
        np.testing.assert_allclose(got.sum(axis=1), model.predict(probe, raw_score=True, num_threads=1), atol=1e-9)
        exact = model.predict(probe, pred_contrib=True, num_threads=1)
        np.testing.assert_allclose(got[:, -1], exact[:, -1], atol=1e-9)  # the same expected output


def test_the_deciding_feature_contributes_most():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(800, 4))
    y = (X[:, 2] > 0).astype(int)  # only feature 2 matters
    got = contributions(Forest.from_booster(booster(X, y)), X)
    assert (np.abs(got[:, :-1]).argmax(axis=1) == 2).mean() > 0.95


def test_forest_predicts_what_lightgbm_predicts_bit_for_bit():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(700, 6)).astype(np.float32)  # the strip features are float32, as here
    X[rng.random(X.shape) < 0.1] = np.nan
    X[rng.random(X.shape) < 0.1] = 0.0
    X[:20, 3] = 1e-36  # "zero" to a Zero-missing split, not to the others
    y = ((np.nan_to_num(X[:, 0]) - np.nan_to_num(X[:, 3]) * np.isnan(X[:, 1])) > 0.1).astype(int)
    for params in ({}, {"zero_as_missing": True}, {"use_missing": False}):
        model = booster(X, y, **params)
        forest = Forest(model.model_to_string())
        probe = np.vstack([X, (rng.normal(size=(100, 6)) * 4).astype(np.float32)])
        assert np.array_equal(forest.predict(probe), model.predict(probe, num_threads=1)), params
        assert np.array_equal(forest.raw(probe), model.predict(probe, raw_score=True, num_threads=1)), params


def test_forest_serves_single_leaf_trees_and_refuses_what_it_cannot_serve():
    X = np.zeros((50, 2))
    y = np.r_[np.zeros(25), np.ones(25)].astype(int)  # nothing to split on: every tree is one leaf
    model = booster(X, y)
    assert np.array_equal(Forest(model.model_to_string()).predict(X), model.predict(X, num_threads=1))
    with pytest.raises(ValueError, match="no trees"):
        Forest("tree\nversion=v4\n")
    rng = np.random.default_rng(6)
    Xc = rng.integers(0, 5, size=(300, 1)).astype(float)
    cat = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1, "min_data_in_leaf": 5, "min_data_per_group": 5},
                    lgb.Dataset(Xc, (Xc[:, 0] % 2).astype(int), categorical_feature=[0]), num_boost_round=3)
    with pytest.raises(ValueError, match="categorical"):
        Forest(cat.model_to_string())
