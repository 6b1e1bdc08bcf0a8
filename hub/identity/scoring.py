"""Scores for candidate pairs: Fellegi–Sunter style match weights.

Each comparison adds or subtracts a weight (log2 of how much more likely the
outcome is for a true match than for a non-match); the sum plus a prior gives
the match probability. The weights are kept per pair as evidence, so a
reviewer sees why (`name ≈ 0.94: +3.5, e-mail differs: -3`). RapidFuzz
computes the string similarities.
"""

from __future__ import annotations

from rapidfuzz.distance import Indel

from hub.identity.records import Candidate

PRIOR = -5.0
"""Log2 odds that two records sharing a block are the same, before comparing."""


def name_similarity(a: Candidate, b: Candidate) -> float:
    """0..1: the better of the normalised names and their pinyin."""
    return names_similarity(a.name, a.pinyin, b.name, b.pinyin)


def names_similarity(name_a: str, pinyin_a: str, name_b: str, pinyin_b: str) -> float:
    best = Indel.normalized_similarity(name_a, name_b) if name_a and name_b else 0.0
    if pinyin_a and pinyin_b:
        best = max(best, Indel.normalized_similarity(pinyin_a, pinyin_b))
    return best


RARE_NAME = 3
"""A company name shared by at most this many records (one per source) is
rare: its agreement weighs more, as term-frequency adjustment does in Splink.
Never for people: two people with the same name and nothing else in common
stay two (at most a pair to review)."""


def weights(a: Candidate, b: Candidate, entity: str, name_count: int = 0) -> dict[str, float]:
    """The match weight of each comparison that says something. `name_count`:
    how many records share the agreeing name (0: unknown)."""
    w: dict[str, float] = {}
    sim = name_similarity(a, b)
    company = entity == "customers" and not (a.pinyin or b.pinyin)
    if sim >= 0.999 and company and 0 < name_count <= RARE_NAME:
        w["rare name equal"] = 9.5
    elif sim >= 0.999:
        w["name equal"] = 5.0
    elif sim >= 0.9:
        w["name ≈"] = 3.5
    elif sim >= 0.8:
        w["name ~"] = 1.5
    else:
        w["name differs"] = -6.0
    if a.email and b.email and a.email != b.email:
        la, _, da = a.email.partition("@")
        lb, _, db = b.email.partition("@")
        if da == db and Indel.normalized_similarity(la, lb) >= 0.8:
            w["e-mail ≈"] = 5.0
        else:
            w["e-mail differs"] = -3.0
    if a.phone and b.phone and a.phone != b.phone:
        w["phone differs"] = -2.0 if entity == "managers" else -1.0
    if entity == "managers":
        if a.employee_number and b.employee_number and a.employee_number != b.employee_number:
            w["employee number differs"] = -1.0
        if a.team and b.team and a.team == b.team:
            w["team equal"] = 1.0
    else:
        if a.domain and b.domain:
            w["e-mail domain " + ("equal" if a.domain == b.domain else "differs")] = (
                2.0 if a.domain == b.domain else -1.0
            )
        if a.region and b.region:
            w["region " + ("equal" if a.region == b.region else "differs")] = (
                1.0 if a.region == b.region else -2.0
            )
        if a.country and b.country and a.country != b.country:
            w["country differs"] = -3.0
    if a.region and b.region and entity == "managers" and a.region == b.region:
        w["region equal"] = 0.5
    return w


def probability(total: float) -> float:
    return 1.0 / (1.0 + 2.0 ** -(PRIOR + total))


def score(
    a: Candidate, b: Candidate, entity: str, name_count: int = 0
) -> tuple[float, dict[str, float]]:
    """(match probability, weights)."""
    w = weights(a, b, entity, name_count)
    return probability(sum(w.values())), w
