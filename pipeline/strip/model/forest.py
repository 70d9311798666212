"""A trained LightGBM model served without LightGBM: its text format read into flat node arrays
and walked by one compiled loop.

Serving needs no OpenMP pool, so a model loaded in the parent before Luigi forks its workers is
safe to use in every child (a LightGBM booster there leaves the children's first prediction
waiting on a lock), and a strip task no longer parses the model file itself. The walk is
LightGBM's own: features read as doubles, NaN taken as 0 unless NaN is the split's missing
case, "zero" meaning |x| <= 1e-35f, trees summed in order in double precision, then the sigmoid
of a binary objective. The node arrays also carry what ``paths`` explains removals with.
"""
from __future__ import annotations

import math

import numpy as np

from storydedup.pipeline.jit import jit

ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold, a float literal widened to double
MISSING = {0: 0, 1: 1, 2: 2}  # decision_type bits 2-3: None, Zero, NaN


class Forest:
    """The trees of a LightGBM text model as flat node arrays; a leaf has feature -1, its own
    index as both children and its output as value; an inner node's value is the mean output
    of the leaves below it, weighted by their training rows."""

    def __init__(self, text: str):
        self.text = text
        start, end = text.find("\nTree="), text.find("\nend of trees")
        if start < 0 or end < start:
            raise ValueError("strip model: not a LightGBM text model (no trees)")
        info = dict(line.split("=", 1) for line in text[:start].splitlines() if "=" in line)
        if info.get("num_class", "1") != "1" or info.get("num_tree_per_iteration", "1") != "1":
            raise ValueError("strip model: only single-output LightGBM models can be served")
        objective = info.get("objective", "").split()
        self.sigmoid = float(objective[1].split(":")[1]) if objective[:1] == ["binary"] else None
        self.n_features = int(info["max_feature_idx"]) + 1
        columns: dict[str, list] = {k: [] for k in ("feature", "threshold", "left", "right", "value", "default_left", "missing")}
        roots = []
        for block in text[start + 1:end].split("\nTree="):
            roots.append(_add_tree(dict(line.split("=", 1) for line in block.splitlines() if "=" in line), columns))
        self.feature = np.array(columns["feature"], np.int64)
        self.threshold = np.array(columns["threshold"], np.float64)
        self.left = np.array(columns["left"], np.int64)
        self.right = np.array(columns["right"], np.int64)
        self.value = np.array(columns["value"], np.float64)
        self.default_left = np.array(columns["default_left"], np.bool_)
        self.missing = np.array(columns["missing"], np.int8)
        self.roots = np.array(roots, np.int64)

    @classmethod
    def from_booster(cls, booster) -> "Forest":
        return cls(booster.model_to_string())

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Sum of the trees' outputs per row (LightGBM's raw score)."""
        X = np.ascontiguousarray(X)
        if X.ndim != 2 or X.shape[1] < self.n_features:
            raise ValueError(f"strip model: rows of {self.n_features} features expected, got shape {X.shape}")
        out = np.zeros(len(X))
        walk(X, self.feature, self.threshold, self.left, self.right, self.value, self.default_left, self.missing,
             self.roots, out, np.zeros((0, 0)))
        return out

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probabilities for a binary objective (as ``Booster.predict``), raw scores otherwise."""
        raw = self.raw(X)
        if self.sigmoid is None:
            return raw
        _sigmoid(raw, self.sigmoid)
        return raw


def _add_tree(tree: dict, columns: dict) -> int:
    """Appends one tree's nodes; returns its root's index."""
    n_leaves = int(tree["num_leaves"])
    leaf_value = [float(v) for v in tree["leaf_value"].split()]
    if n_leaves == 1:
        leaf_count = [1]
        splits = []
    else:
        if int(tree.get("num_cat", "0")) or tree.get("is_linear", "0") != "0":
            raise ValueError("strip model: categorical splits and linear trees cannot be served")
        leaf_count = [int(v) for v in tree["leaf_count"].split()]
        splits = list(zip(map(int, tree["split_feature"].split()), map(float, tree["threshold"].split()),
                          map(int, tree["decision_type"].split()), map(int, tree["left_child"].split()),
                          map(int, tree["right_child"].split())))

    def add(child: int) -> tuple[int, float, int]:
        """Node ``child`` (>= 0 a split, < 0 the leaf ~child) and its subtree: (its index, its
        leaves' output weighted by their rows, those rows)."""
        k = len(columns["feature"])
        for column in columns.values():
            column.append(0)
        if child < 0:
            leaf = ~child
            columns["feature"][k], columns["left"][k], columns["right"][k] = -1, k, k
            columns["value"][k] = leaf_value[leaf]
            return k, leaf_value[leaf] * leaf_count[leaf], leaf_count[leaf]
        feature, threshold, decision, left, right = splits[child]
        if decision & 1:
            raise ValueError("strip model: categorical splits cannot be served")
        columns["feature"][k], columns["threshold"][k] = feature, threshold
        columns["default_left"][k], columns["missing"][k] = bool(decision & 2), MISSING[(decision >> 2) & 3]
        (columns["left"][k], sum_l, n_l), (columns["right"][k], sum_r, n_r) = add(left), add(right)
        columns["value"][k] = (sum_l + sum_r) / max(n_l + n_r, 1)
        return k, sum_l + sum_r, n_l + n_r

    return add(0 if n_leaves > 1 else ~0)[0]


@jit
def walk(X, feature, threshold, left, right, value, default_left, missing, roots, total, credit):
    """Each row down each tree: ``total[r]``, the sum of the leaves reached; with ``credit`` of
    one row per row (else empty), each split's feature is credited with the change in output
    from the split node to the child taken (``paths.contributions``). One loop for both, so
    that explanations follow exactly the walk that scored the line."""
    paths = credit.shape[0] > 0
    for r in range(X.shape[0]):
        s = 0.0
        for t in range(roots.shape[0]):
            k = roots[t]
            while feature[k] >= 0:
                f = feature[k]
                x = float(X[r, f])
                m = missing[k]
                if x != x and m != 2:  # NaN counts as 0 unless NaN is this split's missing case
                    x = 0.0
                if (m == 1 and -ZERO <= x <= ZERO) or (m == 2 and x != x):
                    c = left[k] if default_left[k] else right[k]
                elif x <= threshold[k]:
                    c = left[k]
                else:
                    c = right[k]
                if paths:
                    credit[r, f] += value[c] - value[k]
                k = c
            s += value[k]
        total[r] = s


@jit
def _sigmoid(raw, scale):
    for i in range(raw.shape[0]):
        raw[i] = 1.0 / (1.0 + math.exp(-scale * raw[i]))
