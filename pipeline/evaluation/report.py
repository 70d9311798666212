"""``format_report``: a compact terminal table of the nested metrics dict from ``score_set``."""
from __future__ import annotations


def _value(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}"
    return str(v)


def _inline(d: dict) -> str:
    return "  ".join(f"{k}={_value(v)}" for k, v in d.items())


def format_report(set_name: str, metrics: dict) -> str:
    """One ``[section]`` block per task; dicts of numbers (per language, per subset) on one line,
    dicts of dicts (per source) one line per entry."""
    lines = [f"== {set_name}"]
    for section, body in metrics.items():
        if not isinstance(body, dict):
            continue
        lines.append(f"[{section}]")
        width = max((len(k) for k in body), default=0)
        for key, value in body.items():
            if not isinstance(value, dict):
                lines.append(f"  {key:<{width}}  {_value(value)}")
            elif all(not isinstance(v, dict) for v in value.values()):
                lines.append(f"  {key:<{width}}  {_inline(value)}")
            else:
                for sub, inner in value.items():
                    lines.append(f"  {key}.{sub}  {_inline(inner)}")
    return "\n".join(lines)
