"""``format_report``: a compact terminal table of the nested metrics dict from ``score_set``."""
from __future__ import annotations


def _value(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _delta(v, old) -> str:
    """`` (+0.0123)`` when a numeric value moved against the baseline, else nothing."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return ""
    if isinstance(old, bool) or not isinstance(old, (int, float)) or old == v:
        return ""
    return f" ({v - old:+.4f})" if isinstance(v, float) or isinstance(old, float) else f" ({v - old:+d})"


def _inline(d: dict, base: dict) -> str:
    return "  ".join(f"{k}={_value(v)}{_delta(v, base.get(k))}" for k, v in d.items())


def format_report(set_name: str, metrics: dict, baseline: dict | None = None) -> str:
    """One ``[section]`` block per task; dicts of numbers (per language, per subset) on one line,
    dicts of dicts (per source) one line per entry. With ``baseline`` (an earlier metrics dict
    for the same set) every number that moved shows its change in brackets."""
    baseline = baseline or {}
    lines = [f"== {set_name}"]
    for section, body in metrics.items():
        if not isinstance(body, dict):
            continue
        base = baseline.get(section) or {}
        lines.append(f"[{section}]")
        width = max((len(k) for k in body), default=0)
        for key, value in body.items():
            old = base.get(key)
            if not isinstance(value, dict):
                lines.append(f"  {key:<{width}}  {_value(value)}{_delta(value, old)}")
            elif all(not isinstance(v, dict) for v in value.values()):
                lines.append(f"  {key:<{width}}  {_inline(value, old or {})}")
            else:
                sub_width = max(len(s) for s in value) + len(key) + 1
                for sub, inner in value.items():
                    label = f"{key}.{sub}"
                    lines.append(f"  {label:<{sub_width}}  {_inline(inner, (old or {}).get(sub) or {})}")
    return "\n".join(lines)
