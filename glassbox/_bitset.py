"""Packed bit vectors over samples: ``uint64[M, W]``, bit ``i`` of row ``m`` is sample ``i``.

Rule lists, sparse trees and Rashomon sets all represent "which samples does
this antecedent / subproblem capture" this way, so set operations are word-wise
``&``, ``|``, ``~`` and counts are popcounts.
"""

from __future__ import annotations

import numpy as np

WORD_BITS = 64


def n_words(n_samples: int) -> int:
    """Number of uint64 words that hold ``n_samples`` bits."""
    return (n_samples + WORD_BITS - 1) // WORD_BITS


def pack_rows(bits) -> np.ndarray:
    """Pack a boolean matrix ``(M, n_samples)`` into ``uint64 (M, n_words)``.

    Bits past ``n_samples`` in the last word are zero.
    """
    bits = np.asarray(bits, dtype=bool)
    if bits.ndim == 1:
        return pack_rows(bits[None, :])[0]
    m, n = bits.shape
    padded = np.zeros((m, n_words(n) * WORD_BITS), dtype=bool)
    padded[:, :n] = bits
    packed8 = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed8).view("<u8").astype(np.uint64, copy=False)


def unpack_rows(packed, n_samples: int) -> np.ndarray:
    """Inverse of :func:`pack_rows`: ``uint64 (M, W)`` -> ``bool (M, n_samples)``."""
    packed = np.asarray(packed, dtype=np.uint64)
    if packed.ndim == 1:
        return unpack_rows(packed[None, :], n_samples)[0]
    as_bytes = np.ascontiguousarray(packed.astype("<u8")).view(np.uint8)
    return np.unpackbits(as_bytes, axis=1, count=n_samples, bitorder="little").astype(bool)


def popcount(packed, axis=-1) -> np.ndarray:
    """Number of set bits along ``axis`` (summed over words)."""
    return np.bitwise_count(np.asarray(packed, dtype=np.uint64)).sum(axis=axis, dtype=np.int64)


def full_mask(n_samples: int) -> np.ndarray:
    """Packed vector with the first ``n_samples`` bits set."""
    return pack_rows(np.ones(n_samples, dtype=bool))
