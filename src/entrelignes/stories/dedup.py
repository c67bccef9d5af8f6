"""Near-duplicates and wire copy: MinHash LSH over word shingles (datasketch).

A reprint of an agency dispatch, lightly edited by each outlet, shares most of its word 5-grams
with the original. Each article's shingle set is summarised by a MinHash; an LSH index over the
articles still in the open window finds the earlier ones whose estimated Jaccard similarity is
above the threshold. A copy points at the *earliest* article of its group (copies of copies are
followed back), so a dispatch carried by five outlets is one report with five carriers.
"""

from __future__ import annotations

import zlib
from typing import Any

from datasketch import MinHash, MinHashLSH

from .text import shingles


class NearDuplicateIndex:
    def __init__(
        self,
        *,
        threshold: float = 0.5,
        num_perm: int = 64,
        shingle_size: int = 5,
        min_shingles: int = 25,
    ) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.min_shingles = min_shingles
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # one set of permutations for every MinHash, and a cheap deterministic 32-bit hash
        self._permutations = MinHash(num_perm=num_perm, seed=1).permutations
        self._hashes: dict[str, MinHash] = {}
        self._root: dict[str, str] = {}  # article id -> earliest article of its group (open ones)

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self, article_id: str, text: str | list[str]) -> str | None:
        """Index one article (text, or its `words`); return the id of the earlier article it copies.

        Texts too short to shingle meaningfully (titles only, teasers) are never called copies.
        """
        grams = shingles(text, self.shingle_size)
        if len(grams) < self.min_shingles:
            return None
        mh = MinHash(num_perm=self.num_perm, permutations=self._permutations, scheme="affine32", hashfunc=zlib.crc32)
        mh.update_batch([g.encode("utf-8") for g in grams])
        best, best_sim = None, self.threshold
        for key in self._lsh.query(mh):
            sim = mh.jaccard(self._hashes[key])
            # strictly better, or equally good and earlier in the root order: deterministic
            if sim > best_sim or (sim == best_sim and best is not None and key < best):
                best, best_sim = key, sim
        if article_id in self._hashes:  # re-adding the same id: keep the first version
            return self._root.get(article_id) if self._root.get(article_id) != article_id else None
        self._lsh.insert(article_id, mh)
        self._hashes[article_id] = mh
        if best is None:
            self._root[article_id] = article_id
            return None
        root = self._root.get(best, best)
        self._root[article_id] = root
        return root

    def export(self) -> dict[str, Any]:
        """The indexed articles as plain data (JSON-ready), in the order they were added."""
        return {
            "hashes": {aid: [int(v) for v in mh.hashvalues] for aid, mh in self._hashes.items()},
            "root": dict(self._root),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Refill an empty index from `export()`'s data (same threshold and num_perm)."""
        for aid, values in state["hashes"].items():
            if len(values) != self.num_perm:
                raise ValueError(f"MinHash of {aid} has {len(values)} values, expected {self.num_perm}")
            mh = MinHash(num_perm=self.num_perm, hashvalues=values, permutations=self._permutations,
                         scheme="affine32", hashfunc=zlib.crc32)
            self._lsh.insert(aid, mh)
            self._hashes[aid] = mh
        self._root = dict(state["root"])

    def remove(self, article_id: str) -> None:
        if article_id in self._hashes:
            self._lsh.remove(article_id)
            del self._hashes[article_id]
            self._root.pop(article_id, None)
