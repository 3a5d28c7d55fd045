"""Intent routing: every handler declares the phrasings it answers; the best score wins.

A handler module registers itself with ``@intent(...)``; its docstring's first
line is its help text. Scores are sums of pattern weights, so a question that
mentions "report" and "who reports to" prefers direct_reports over reports_to
without any handler knowing about the other.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from bot.answer import Answer
    from bot.query import Query

Handler = Callable[["Query"], "Answer"]


@dataclass(frozen=True)
class Intent:
    """A registered handler and the phrasings that point to it."""

    name: str
    handle: Handler
    patterns: tuple[tuple[re.Pattern[str], float], ...]
    examples: tuple[str, ...]
    help: str
    order: int  # position in help; ties in score go to the lower order


REGISTRY: dict[str, Intent] = {}


def intent(name: str, *, patterns: dict[str, float], examples: list[str], order: int = 50) -> Callable[[Handler], Handler]:
    """Register a handler under ``name``; ``patterns`` map regexes (case-insensitive) to weights."""

    def register(func: Handler) -> Handler:
        doc = (func.__doc__ or name).strip().splitlines()[0]
        compiled = tuple((re.compile(p, re.IGNORECASE), w) for p, w in patterns.items())
        REGISTRY[name] = Intent(name, func, compiled, tuple(examples), doc, order)
        return func

    return register


_LOADED = False


def load_handlers() -> dict[str, Intent]:
    """Import every module in ``handlers/`` so that each registers itself (once per process)."""
    global _LOADED
    if not _LOADED:
        import handlers

        for module in pkgutil.iter_modules(handlers.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"handlers.{module.name}")
        _LOADED = True
    return REGISTRY


def score(text: str) -> list[tuple[float, Intent]]:
    """All intents with a positive score, best first."""
    results: list[tuple[float, Intent]] = []
    for item in load_handlers().values():
        total = sum(weight for pattern, weight in item.patterns if pattern.search(text))
        if total > 0:
            results.append((total, item))
    results.sort(key=lambda pair: (-pair[0], pair[1].order))
    return results
