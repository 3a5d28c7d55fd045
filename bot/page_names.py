"""The name helpers of :mod:`bot.names` the parser calls per heading and per sentence, cached.

They are pure functions of one string, and a build asks them the same questions thousands of
times (every heading is cleaned, slugged and tested as a role name several times, on every page;
"Senior", "Manager" and the family's name recur on every page of a family). Their own module
stays as it is; the parser imports them from here.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot import names

CACHE_SIZE = 65536

clean_heading = lru_cache(maxsize=CACHE_SIZE)(names.clean_heading)
slug = lru_cache(maxsize=CACHE_SIZE)(names.slug)
looks_like_role = lru_cache(maxsize=CACHE_SIZE)(names.looks_like_role)
is_level_only = lru_cache(maxsize=CACHE_SIZE)(names.is_level_only)


@lru_cache(maxsize=CACHE_SIZE)
def _plain_level_variants(name: str) -> frozenset[str]:
    return frozenset(names.plain_level_variants(name))


def plain_level_variants(name: str) -> set[str]:
    """A new set each call: callers add aliases to it."""
    return set(_plain_level_variants(name))


# A heading that opens a page's specialties: "Specialties", "Marketing Specializations",
# "Specialties for Security Engineer roles".
SPECIALTY_HEADING = re.compile(
    r"^(?:.*\s)?(?:specialt(?:y|ies)|specialit(?:y|ies)|speciali[sz]ations?)(?:\s+(?:for|of|in)\s+.+)?$", re.I)


def in_specialty_group(group: str) -> bool:
    """Whether a role's group path ("Levels / Specialties / Commercial", "Specialties / Marketing")
    passes through a specialties heading: the role is a specialty."""
    return any(SPECIALTY_HEADING.match(part) for part in group.split(" / "))
