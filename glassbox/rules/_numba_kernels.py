"""numba-compiled twin of :func:`glassbox.rules._kernels.child_counts_numpy`.

Imported only by ``_kernels.get_kernel`` when numba is installed; compiled
functions are cached on disk (``cache=True``).
"""

import numba
import numpy as np

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@numba.njit(cache=True, inline="always")
def _popcount64(x):
    # SWAR popcount; LLVM turns this pattern into a single popcnt instruction.
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@numba.njit(cache=True, nogil=True)
def child_counts(ant_bits, prefix, label_bits, minority_bits):
    n_ant, n_word = ant_bits.shape
    free = np.empty(n_word, dtype=np.uint64)
    for w in range(n_word):
        free[w] = ~np.uint64(0)
    for k in range(prefix.shape[0]):
        row = prefix[k]
        for w in range(n_word):
            free[w] &= ~ant_bits[row, w]
    n_new = np.zeros(n_ant, dtype=np.int64)
    n_new_pos = np.zeros(n_ant, dtype=np.int64)
    n_new_minority = np.zeros(n_ant, dtype=np.int64)
    for j in range(n_ant):
        total = np.uint64(0)
        pos = np.uint64(0)
        minority = np.uint64(0)
        for w in range(n_word):
            new = ant_bits[j, w] & free[w]
            total += _popcount64(new)
            pos += _popcount64(new & label_bits[w])
            minority += _popcount64(new & minority_bits[w])
        n_new[j] = total
        n_new_pos[j] = pos
        n_new_minority[j] = minority
    return n_new, n_new_pos, n_new_minority


@numba.njit(cache=True, nogil=True)
def expand(ant_bits, prefix, label_bits, minority_bits, errors, rest, rest_pos, rest_minority,
           lam, cutoff, tolerance, policy, n_samples):
    n_ant = ant_bits.shape[0]
    n_new, n_new_pos, n_new_minority = child_counts(ant_bits, prefix, label_bits, minority_bits)
    length = prefix.shape[0] + 1
    best_j = -1
    best_score = np.inf
    # Two arrays, not seven: boxing each returned array costs more than filling it.
    ints = np.empty((5, n_ant), dtype=np.int64)  # chosen, errors, rest, rest_pos, rest_minority
    floats = np.empty((2, n_ant), dtype=np.float64)  # priority, bound
    n_chosen = 0
    for j in range(n_ant):
        new = n_new[j]
        if new == 0:
            continue
        pos = n_new_pos[j]
        rule_errors = min(pos, new - pos)
        e = errors + rule_errors
        prefix_score = e + lam * length
        r = rest - new
        r_pos = rest_pos - pos
        score = prefix_score + min(r_pos, r - r_pos)
        if score < best_score:
            best_score = score
            best_j = j
        r_minority = rest_minority - n_new_minority[j]
        b = prefix_score + lam + r_minority
        if (new - rule_errors) >= lam and b < cutoff:
            if policy == 0:
                floats[0, n_chosen] = b
            elif policy == 1:
                floats[0, n_chosen] = score
            elif policy == 2:
                floats[0, n_chosen] = float(length)
            elif policy == 3:
                floats[0, n_chosen] = -float(length)
            else:
                floats[0, n_chosen] = prefix_score * n_samples / max(n_samples - r, 1)
            floats[1, n_chosen] = b
            ints[0, n_chosen] = j
            ints[1, n_chosen] = e
            ints[2, n_chosen] = r
            ints[3, n_chosen] = r_pos
            ints[4, n_chosen] = r_minority
            n_chosen += 1
    # A child may have lowered the incumbent: drop siblings that cannot beat it any more.
    cutoff = min(cutoff, best_score - tolerance)
    kept = 0
    for i in range(n_chosen):
        if floats[1, i] < cutoff:
            ints[:, kept] = ints[:, i]
            floats[:, kept] = floats[:, i]
            kept += 1
    return best_j, best_score, ints[:, :kept].copy(), floats[:, :kept].copy()
