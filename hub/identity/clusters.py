"""Union-find with people's decisions as hard constraints.

Links are applied first and always hold; an unlink forbids any union that
would put its two records in one cluster, whatever keys or scores say. Two
valid, different credit codes never end up in one cluster either, unless a
person linked them.
"""

from __future__ import annotations


class Clusters:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.forbidden: dict[int, set[int]] = {}
        self.codes: dict[int, str] = {}

    def find(self, i: int) -> int:
        parent = self.parent
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def set_code(self, i: int, code: str) -> None:
        self.codes.setdefault(self.find(i), code)

    def forbid(self, a: int, b: int) -> None:
        self.forbidden.setdefault(a, set()).add(b)
        self.forbidden.setdefault(b, set()).add(a)

    def blocked(self, ra: int, rb: int) -> str | None:
        """Why the clusters rooted at ra and rb may not merge (None: they may)."""
        ca, cb = self.codes.get(ra), self.codes.get(rb)
        if ca and cb and ca != cb:
            return "different credit codes"
        fa, fb = self.forbidden.get(ra), self.forbidden.get(rb)
        if fa and fb:
            small, other = (fa, rb) if len(fa) <= len(fb) else (fb, ra)
            if any(self.find(x) == other for x in small):
                return "unlinked by a person"
        return None

    def union(self, a: int, b: int, *, force: bool = False) -> bool:
        """Merge; False when already together or a constraint forbids it."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if not force and self.blocked(ra, rb):
            return False
        self.parent[rb] = ra
        if rb in self.codes:
            self.codes.setdefault(ra, self.codes.pop(rb))
        if rb in self.forbidden:
            self.forbidden.setdefault(ra, set()).update(self.forbidden.pop(rb))
        return True
