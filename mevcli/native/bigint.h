/* Signed integers of up to BIG_LIMBS 64-bit limbs, with Python's integer semantics.
 *
 * The native sizing kernel (kernel.c) repeats `sizing.size_route`'s integer arithmetic exactly, so every
 * operation here must give what the same Python expression gives: `//` floors (towards -inf), `>>` of
 * a negative value floors, `isqrt` is `math.isqrt`. A result that does not fit BIG_LIMBS limbs is not
 * truncated: the operation returns BIG_OVERFLOW and the caller gives the whole computation back to
 * Python.
 *
 * Representation: sign and magnitude. `d[0..n-1]` holds the magnitude, least significant limb first,
 * with no leading zero limb (d[n-1] != 0); zero is n = 0, neg = 0 (there is no negative zero).
 * Limbs at index >= n are undefined. Every output may alias any input.
 */
#ifndef MEVCLI_BIGINT_H
#define MEVCLI_BIGINT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#define BIG_LIMBS 48 /* 3,072 bits: the widest value sizing forms (a 4-hop plateau's t^3) fits */

enum { BIG_OK = 0, BIG_OVERFLOW = -1, BIG_ZERO_DIVISION = -2, BIG_PYERR = -3 };

typedef struct {
    int n;   /* limbs in use */
    int neg; /* 1 when negative */
    uint64_t d[BIG_LIMBS];
} big;

/* r = v */
void big_set_u64(big *r, uint64_t v);
void big_set_i64(big *r, int64_t v);
void big_copy(big *r, const big *a);

/* From a Python int: BIG_OK; BIG_OVERFLOW (no Python error set) when it needs more than BIG_LIMBS limbs;
 * BIG_PYERR (a Python error set) when `v` is not an int. */
int big_from_pylong(big *r, PyObject *v);
/* A new reference to the Python int of `a`, or NULL with a Python error set. */
PyObject *big_to_pylong(const big *a);

int big_is_zero(const big *a);
int big_sign(const big *a);                  /* -1, 0 or 1 */
int big_cmp(const big *a, const big *b);     /* signed: -1, 0, 1 as a <, ==, > b */
int big_cmp_u64(const big *a, uint64_t b);   /* signed a against b */
int big_bit_length(const big *a);            /* Python's int.bit_length(): of the magnitude */

int big_add(big *r, const big *a, const big *b);
int big_sub(big *r, const big *a, const big *b);
int big_mul(big *r, const big *a, const big *b);
int big_add_u64(big *r, const big *a, uint64_t b);
int big_mul_u64(big *r, const big *a, uint64_t b);
/* q = a // b, floored as in Python; BIG_ZERO_DIVISION when b == 0. */
int big_floordiv(big *q, const big *a, const big *b);
/* q = a // b and m = a % b (Python's divmod: m has b's sign); either pointer may be NULL. */
int big_divmod(big *q, big *m, const big *a, const big *b);
/* r = a << bits, r = a >> bits (floored for negative a, as in Python). */
int big_shl(big *r, const big *a, int bits);
int big_shr(big *r, const big *a, int bits);
/* r = isqrt(a) for a >= 0 (math.isqrt); BIG_ZERO_DIVISION stands for "a is negative" (ValueError). */
int big_isqrt(big *r, const big *a);

#endif
