"""Judging answers against expected facts, and the small statistics the benchmark reports."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any, Iterable

LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def normalise(text: str) -> str:
    """Answer text as a reader sees it: links reduced to labels, no bold marks, spaces folded, lower case."""
    text = LINK.sub(r"\1", text or "")
    text = text.replace("*", "").replace("\u2019", "'")
    return re.sub(r"\s+", " ", text).strip().lower()


def judge(answer: dict[str, Any], q: dict[str, Any]) -> list[str]:
    """What is wrong with ``answer`` (the ``Answer.to_dict()`` shape) for question ``q``; empty when right.

    Right means: the expected intent and status, exactly the expected roles (as a set), and every
    expected fact string in the text.
    """
    wrong: list[str] = []
    if answer.get("intent") != q["intent"]:
        wrong.append("intent")
    if answer.get("status") != q["status"]:
        wrong.append("status")
    if sorted(set(answer.get("roles") or [])) != sorted(set(q.get("roles") or [])):
        wrong.append("roles")
    text = normalise(answer.get("text", ""))
    if not all(normalise(f) in text for f in q.get("facts") or []):
        wrong.append("fact")
    return wrong


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of ``values``; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(ms: Iterable[float]) -> dict[str, float]:
    values = list(ms)
    return {
        "n": len(values),
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values) if values else float("nan"),
        "mean_ms": sum(values) / len(values) if values else float("nan"),
    }


def accuracy_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy overall and per question kind; ``results`` items have ``kind`` and ``wrong`` (a list)."""
    by_kind: dict[str, list[bool]] = defaultdict(list)
    reasons: dict[str, int] = defaultdict(int)
    for r in results:
        by_kind[r["kind"]].append(not r["wrong"])
        for reason in r["wrong"]:
            reasons[reason] += 1
    right = sum(1 for r in results if not r["wrong"])
    return {
        "n": len(results),
        "right": right,
        "accuracy_pct": 100.0 * right / len(results) if results else float("nan"),
        "by_kind": {k: {"n": len(v), "right": sum(v), "accuracy_pct": 100.0 * sum(v) / len(v)} for k, v in sorted(by_kind.items())},
        "wrong_parts": dict(sorted(reasons.items())),
    }
