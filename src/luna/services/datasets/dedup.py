"""Duplicates three ways: strict (same normalised key), fuzzy (MinHash LSH over word shingles) and
semantic (cosine of e5 embeddings). Each returns the ``_row`` of every record that repeats an earlier
one, with the ``_row`` it repeats, so the report can show both.

Fuzzy uses datasketch's MinHash LSH rather than all pairs: candidate pairs come from banded hashes in
about linear time, and each candidate is confirmed by the exact Jaccard similarity of its shingles.
Shingles are hashed with CRC-32 (C speed, and the same in every process, unlike Python's salted
``hash``), which halves the time of datasketch's default SHA-1.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
from datasketch import MinHash, MinHashLSH

from luna.domain.datasets.records import SCHEMAS, RecordType
from luna.services.datasets.normalise import ROW

_PERMUTATIONS = 64
#: How far below the duplicate threshold LSH still proposes candidates.
_CANDIDATE_MARGIN = 0.2
#: Rows per block of the semantic similarity matrix (block × n floats in memory at once).
_BLOCK = 1024

Embed = Callable[[Sequence[str]], list[list[float]]]


def comparable_text(record: RecordType) -> pl.Expr:
    """The record's identifying texts (question and answer, not the context) joined, case-folded, without
    punctuation: what duplicates are judged on. The context stays out: XQuAD-like data asks five
    questions of one paragraph, and with it every such record looked like a repeat of the first."""
    columns = [c for c in SCHEMAS[record].key if c in SCHEMAS[record].text]
    return _loose(pl.concat_str([pl.col(c).fill_null("") for c in columns], separator=" "))


def question_key() -> pl.Expr:
    """A question as :func:`comparable_text` sees it: what the fine-tuning split groups by."""
    return _loose(pl.col("question").fill_null(""))


def _loose(text: pl.Expr) -> pl.Expr:
    """Lower case with ß as ss (what case folding does, so "GROSSE" and "große" are one word), no
    punctuation, single blanks."""
    return (
        text.str.to_lowercase()
        .str.replace_all("ß", "ss", literal=True)
        .str.replace_all(r"[^\w\s]", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def strict_duplicates(frame: pl.DataFrame, record: RecordType) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(exact repeats, conflicts): records whose key (texts normalised as in :func:`comparable_text`)
    equals an earlier record's, with the same values or with different ones (a meter reporting two
    consumptions for one quarter hour). Both pair each later record with the first of its key."""
    schema = SCHEMAS[record]
    keyed = frame.select(
        pl.col(ROW),
        _identity(schema.key, record).alias("key"),
        _identity(schema.values, record).alias("values"),
    )
    first = keyed.group_by("key", maintain_order=True).agg(
        pl.col(ROW).first().alias("of"), pl.col("values").first().alias("first_values")
    )
    later = keyed.join(first, on="key").filter(pl.col(ROW) != pl.col("of"))
    same = pl.col("values").eq_missing(pl.col("first_values"))
    return later.filter(same).select(ROW, "of"), later.filter(~same).select(ROW, "of")


def _identity(columns: Sequence[str], record: RecordType) -> pl.Expr:
    schema = SCHEMAS[record]
    parts = [pl.col(c).cast(pl.String).fill_null("∅") for c in columns if c not in schema.text]
    if any(c in schema.text for c in columns):
        parts.append(comparable_text(record))
    return pl.concat_str(parts, separator="\x1f") if parts else pl.lit("")


def fuzzy_duplicates(frame: pl.DataFrame, record: RecordType, threshold: float) -> pl.DataFrame:
    """Records whose word-shingle Jaccard similarity to an earlier record reaches ``threshold``."""
    texts = frame.select(comparable_text(record)).to_series().to_list()
    rows = frame[ROW].to_list()
    shingles = [_shingles(text) for text in texts]
    hashes = MinHash.bulk(
        [[s.encode("utf-8") for s in group] for group in shingles],
        num_perm=_PERMUTATIONS,
        hashfunc=zlib.crc32,
    )
    # Candidates from a lower LSH threshold, confirmed by the exact Jaccard of the shingle sets: MinHash
    # only estimates similarity, and banding at the threshold itself misses pairs just above it.
    lsh = MinHashLSH(threshold=max(0.3, threshold - _CANDIDATE_MARGIN), num_perm=_PERMUTATIONS)
    pairs: list[tuple[int, int]] = []
    for index, minhash in enumerate(hashes):
        if not shingles[index]:
            continue
        earlier = sorted(int(key) for key in lsh.query(minhash))
        match = next(
            (other for other in earlier if _jaccard(shingles[index], shingles[other]) >= threshold), None
        )
        if match is not None:
            pairs.append((rows[index], rows[match]))
        else:
            lsh.insert(str(index), minhash)
    return pl.DataFrame(pairs, schema={ROW: pl.Int64, "of": pl.Int64}, orient="row")


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def _shingles(text: str) -> set[str]:
    """Word bigrams (and the words themselves for texts of one word): robust to a changed word or order."""
    words = text.split()
    if len(words) < 2:
        return set(words)
    return {f"{a} {b}" for a, b in itertools.pairwise(words)} | set(words)


def semantic_duplicates(
    frame: pl.DataFrame, record: RecordType, threshold: float, embed: Embed
) -> pl.DataFrame:
    """Records whose embedding's cosine similarity to an earlier kept record reaches ``threshold``.

    The comparison is an exact blocked matrix product over the batch (a self-join needs every pair
    anyway, which a vector index would only approximate); embeddings come from Luna's embedder, so
    repeated texts hit its cache.
    """
    texts = frame.select(comparable_text(record)).to_series().to_list()
    rows = frame[ROW].to_list()
    if not texts:
        return pl.DataFrame(schema={ROW: pl.Int64, "of": pl.Int64})
    vectors = np.asarray(embed(texts), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    duplicate_of = np.full(len(texts), -1)
    for start in range(0, len(texts), _BLOCK):
        block = vectors[start : start + _BLOCK] @ vectors.T
        for offset, similarities in enumerate(block):
            index = start + offset
            candidates = np.flatnonzero(similarities[:index] >= threshold)
            kept = candidates[duplicate_of[candidates] < 0]
            if kept.size:
                duplicate_of[index] = kept[0]
    found = np.flatnonzero(duplicate_of >= 0)
    return pl.DataFrame(
        {ROW: [rows[i] for i in found], "of": [rows[duplicate_of[i]] for i in found]},
        schema={ROW: pl.Int64, "of": pl.Int64},
    )
