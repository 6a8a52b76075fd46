/* Signed integers of up to BIG_LIMBS 64-bit limbs with Python's integer semantics (see bigint.h).
 *
 * The work is done on magnitudes (`mag_*`: limb arrays with their used length); the `big_*` functions add
 * the signs. Every loop runs over the limbs in use only. Outputs may alias inputs: the limb loops of
 * add/sub/shift read limb i before they write limb i (or go top-down where they shift up), multiplication
 * writes into a local buffer when its output is an input, division reads each numerator limb before it
 * writes the quotient limb there (or works on a normalized copy) and copies a divisor that is an output.
 */
#include "bigint.h"

#include <string.h>

typedef unsigned __int128 u128;

#define LIMB_BITS 64

/* ---- limb helpers ------------------------------------------------------------------------------------ */

/* The used length of d[0..n-1]: n without its leading zero limbs. */
static inline int mag_norm(const uint64_t *d, int n) {
    while (n > 0 && d[n - 1] == 0)
        n--;
    return n;
}

/* -1, 0, 1 as magnitude a <, ==, > b (both normalized). */
static inline int mag_cmp(const uint64_t *a, int an, const uint64_t *b, int bn) {
    if (an != bn)
        return an < bn ? -1 : 1;
    for (int i = an - 1; i >= 0; i--)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* (hi:lo) / d and its remainder, for hi < d (the quotient fits one limb). */
static inline uint64_t div_2by1(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem) {
#if defined(__x86_64__) && defined(__GNUC__)
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d) : "cc");
    *rem = r;
    return q;
#else
    u128 n = ((u128)hi << 64) | lo;
    uint64_t q = (uint64_t)(n / d);
    *rem = (uint64_t)(n - (u128)q * d);
    return q;
#endif
}

/* r = a + b (an >= bn); the used length, or BIG_OVERFLOW when the carry leaves BIG_LIMBS limbs. */
static int mag_add(uint64_t *r, const uint64_t *a, int an, const uint64_t *b, int bn) {
    uint64_t carry = 0;
    int i = 0;
    for (; i < bn; i++) {
        uint64_t s = a[i] + carry;
        uint64_t c1 = s < carry;
        uint64_t t = s + b[i];
        carry = c1 | (t < s);
        r[i] = t;
    }
    for (; i < an; i++) {
        uint64_t t = a[i] + carry;
        carry = t < carry;
        r[i] = t;
    }
    if (carry) {
        if (an == BIG_LIMBS)
            return BIG_OVERFLOW;
        r[an] = 1;
        return an + 1;
    }
    return an;
}

/* r = a - b for a >= b (an >= bn); the used length. */
static int mag_sub(uint64_t *r, const uint64_t *a, int an, const uint64_t *b, int bn) {
    uint64_t borrow = 0;
    int i = 0;
    for (; i < bn; i++) {
        uint64_t ai = a[i], bi = b[i];
        uint64_t t = ai - bi;
        uint64_t b1 = ai < bi;
        uint64_t u = t - borrow;
        borrow = b1 | (t < borrow);
        r[i] = u;
    }
    for (; i < an; i++) {
        uint64_t ai = a[i];
        r[i] = ai - borrow;
        borrow = ai < borrow;
    }
    return mag_norm(r, an);
}

/* r = a + v (a single limb); the used length or BIG_OVERFLOW. */
static int mag_add_1(uint64_t *r, const uint64_t *a, int an, uint64_t v) {
    if (an == 0) {
        if (v == 0)
            return 0;
        r[0] = v;
        return 1;
    }
    return mag_add(r, a, an, &v, 1);
}

/* r = a * m (m != 0); the used length or BIG_OVERFLOW. */
static int mag_mul_1(uint64_t *r, const uint64_t *a, int an, uint64_t m) {
    uint64_t carry = 0;
    for (int i = 0; i < an; i++) {
        u128 p = (u128)a[i] * m + carry;
        r[i] = (uint64_t)p;
        carry = (uint64_t)(p >> 64);
    }
    if (carry) {
        if (an == BIG_LIMBS)
            return BIG_OVERFLOW;
        r[an] = carry;
        return an + 1;
    }
    return an;
}

/* r[0..an+bn-1] = a * b (an, bn >= 1); r must not overlap a or b. */
static void mag_mul_into(uint64_t *r, const uint64_t *a, int an, const uint64_t *b, int bn) {
    /* the longer operand in the inner loop */
    if (an < bn) {
        const uint64_t *t = a;
        a = b;
        b = t;
        int tn = an;
        an = bn;
        bn = tn;
    }
    uint64_t carry = 0, b0 = b[0];
    for (int j = 0; j < an; j++) {
        u128 p = (u128)a[j] * b0 + carry;
        r[j] = (uint64_t)p;
        carry = (uint64_t)(p >> 64);
    }
    r[an] = carry;
    for (int i = 1; i < bn; i++) {
        uint64_t bi = b[i];
        uint64_t *ri = r + i;
        carry = 0;
        for (int j = 0; j < an; j++) {
            u128 p = (u128)a[j] * bi + ri[j] + carry;
            ri[j] = (uint64_t)p;
            carry = (uint64_t)(p >> 64);
        }
        ri[an] = carry;
    }
}

/* r = a * b; the used length or BIG_OVERFLOW. r may alias a or b. */
static int mag_mul(uint64_t *r, const uint64_t *a, int an, const uint64_t *b, int bn) {
    if (an == 0 || bn == 0)
        return 0;
    if (bn == 1)
        return mag_mul_1(r, a, an, b[0]); /* reads b[0] before it writes r */
    if (an == 1)
        return mag_mul_1(r, b, bn, a[0]);
    if (an == 2 && bn == 2 && BIG_LIMBS >= 4) {
        u128 p00 = (u128)a[0] * b[0], p01 = (u128)a[0] * b[1];
        u128 p10 = (u128)a[1] * b[0], p11 = (u128)a[1] * b[1];
        u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10; /* < 3 * 2^64 */
        u128 high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64); /* the product's top two limbs */
        r[0] = (uint64_t)p00;
        r[1] = (uint64_t)mid;
        r[2] = (uint64_t)high;
        r[3] = (uint64_t)(high >> 64);
        return r[3] ? 4 : 3;
    }
    int pn = an + bn; /* the product has pn - 1 or pn limbs */
    if (pn - 1 > BIG_LIMBS)
        return BIG_OVERFLOW;
    if (pn <= BIG_LIMBS && r != a && r != b) {
        mag_mul_into(r, a, an, b, bn);
        return r[pn - 1] ? pn : pn - 1;
    }
    uint64_t t[BIG_LIMBS + 1];
    mag_mul_into(t, a, an, b, bn);
    if (t[pn - 1] == 0)
        pn--;
    if (pn > BIG_LIMBS)
        return BIG_OVERFLOW;
    memcpy(r, t, (size_t)pn * sizeof(uint64_t));
    return pn;
}

/* q = a / d (a single nonzero limb), top-down (q may alias a); the remainder. *qn gets q's length. */
static uint64_t mag_divrem_1(uint64_t *q, int *qn, const uint64_t *a, int an, uint64_t d) {
    uint64_t rem = 0;
    if (q) {
        for (int i = an - 1; i >= 0; i--)
            q[i] = div_2by1(rem, a[i], d, &rem);
        *qn = mag_norm(q, an);
    } else {
        for (int i = an - 1; i >= 0; i--)
            div_2by1(rem, a[i], d, &rem);
    }
    return rem;
}

/* One quotient limb of (rem:u) / (v1:v0), v1's top bit set, rem's top limb at most v1: the estimate
 * from rem / v1 (at most 2^64 - 1), lowered while it times v0 exceeds what is left. For rem < (v1:v0)
 * it is exact and rem becomes the remainder (Knuth's test then compares the whole product); as Algorithm
 * D's estimate for a longer divisor it is at most one too high (rem is then not used). */
static inline uint64_t div_3by2(u128 *rem, uint64_t u, uint64_t v1, uint64_t v0) {
    uint64_t r1 = (uint64_t)(*rem >> 64), r0 = (uint64_t)*rem;
    uint64_t q, rhat;
    int rhat_wide; /* rhat >= 2^64: the test below cannot fail any more */
    if (r1 >= v1) { /* r1 == v1: the 2-by-1 quotient would not fit a limb */
        q = UINT64_MAX;
        rhat = r0 + v1; /* (r1:r0) - (2^64 - 1) * v1 with r1 == v1 */
        rhat_wide = rhat < v1;
    } else {
        q = div_2by1(r1, r0, v1, &rhat);
        rhat_wide = 0;
    }
    while (!rhat_wide && (u128)q * v0 > (((u128)rhat << 64) | u)) {
        q--;
        rhat += v1;
        rhat_wide = rhat < v1;
    }
    *rem = (((u128)rhat << 64) | u) - (u128)q * v0; /* < 2^128: exact modulo 2^128 */
    return q;
}

/* q = a / (b1:b0) for b1 != 0, an >= 2, top-down (q may alias a); the remainder. */
static u128 mag_divrem_2(uint64_t *q, int *qn, const uint64_t *a, int an, uint64_t b1, uint64_t b0) {
    int s = __builtin_clzll(b1);
    uint64_t v1 = s ? (b1 << s) | (b0 >> (LIMB_BITS - s)) : b1, v0 = b0 << s;
    u128 rem = s ? a[an - 1] >> (LIMB_BITS - s) : 0;
    for (int j = an - 1; j >= 0; j--) {
        uint64_t u = s ? (a[j] << s) | (j ? a[j - 1] >> (LIMB_BITS - s) : 0) : a[j];
        uint64_t qj = div_3by2(&rem, u, v1, v0);
        if (q)
            q[j] = qj;
    }
    if (q)
        *qn = mag_norm(q, an);
    return rem >> s;
}

/* Knuth's Algorithm D: q = a / b and the remainder, for an >= bn >= 2.
 *
 * q (an - bn + 1 limbs of room, may alias a but not b) may be NULL. r (bn limbs of room, no alias) may be
 * NULL: then the remainder is not formed and the return value only tells whether it is nonzero. Returns
 * the remainder's used length (or 1 for "nonzero" when r is NULL); *qn gets q's length. */
static int mag_divrem_knuth(uint64_t *q, int *qn, uint64_t *r, const uint64_t *a, int an, const uint64_t *b,
                            int bn) {
    uint64_t un[BIG_LIMBS + 1], vn[BIG_LIMBS];
    int s = __builtin_clzll(b[bn - 1]);
    /* normalize: shift both so that the divisor's top bit is set */
    if (s) {
        for (int i = bn - 1; i > 0; i--)
            vn[i] = (b[i] << s) | (b[i - 1] >> (LIMB_BITS - s));
        vn[0] = b[0] << s;
        un[an] = a[an - 1] >> (LIMB_BITS - s);
        for (int i = an - 1; i > 0; i--)
            un[i] = (a[i] << s) | (a[i - 1] >> (LIMB_BITS - s));
        un[0] = a[0] << s;
    } else {
        memcpy(vn, b, (size_t)bn * sizeof(uint64_t));
        memcpy(un, a, (size_t)an * sizeof(uint64_t));
        un[an] = 0;
    }
    const uint64_t v1 = vn[bn - 1], v0 = vn[bn - 2];
    for (int j = an - bn; j >= 0; j--) {
        uint64_t *uj = un + j;
        u128 head = ((u128)uj[bn] << 64) | uj[bn - 1];
        uint64_t qhat = div_3by2(&head, uj[bn - 2], v1, v0); /* at most one too high */
        /* uj[0..bn] -= qhat * vn */
        uint64_t carry = 0;
        for (int i = 0; i < bn; i++) {
            u128 p = (u128)qhat * vn[i] + carry;
            uint64_t lo = (uint64_t)p;
            uint64_t ui = uj[i];
            carry = (uint64_t)(p >> 64) + (ui < lo);
            uj[i] = ui - lo;
        }
        uint64_t top = uj[bn];
        uj[bn] = top - carry;
        if (top < carry) { /* qhat was one too large: add the divisor back */
            qhat--;
            uint64_t c = 0;
            for (int i = 0; i < bn; i++) {
                uint64_t s1 = uj[i] + c;
                uint64_t c1 = s1 < c;
                uint64_t t = s1 + vn[i];
                c = c1 | (t < s1);
                uj[i] = t;
            }
            uj[bn] += c;
        }
        if (q)
            q[j] = qhat;
    }
    if (q)
        *qn = mag_norm(q, an - bn + 1);
    if (!r) {
        for (int i = 0; i < bn; i++)
            if (un[i])
                return 1;
        return 0;
    }
    if (s) {
        for (int i = 0; i < bn - 1; i++)
            r[i] = (un[i] >> s) | (un[i + 1] << (LIMB_BITS - s));
        r[bn - 1] = un[bn - 1] >> s;
    } else {
        memcpy(r, un, (size_t)bn * sizeof(uint64_t));
    }
    return mag_norm(r, bn);
}

/* q = a / b, remainder into r (bn limbs of room, no alias; NULL: only report whether it is nonzero).
 * q may be NULL or alias a (not b). bn >= 1. Returns the remainder's length (nonzero-ness when r is NULL). */
static int mag_divrem(uint64_t *q, int *qn, uint64_t *r, const uint64_t *a, int an, const uint64_t *b, int bn) {
    if (an < bn || (an == bn && mag_cmp(a, an, b, bn) < 0)) {
        if (r)
            memcpy(r, a, (size_t)an * sizeof(uint64_t));
        if (q)
            *qn = 0;
        return an;
    }
    if (bn == 1) {
        uint64_t rem = mag_divrem_1(q, qn, a, an, b[0]);
        if (r)
            r[0] = rem;
        return rem != 0;
    }
    if (bn == 2) {
        u128 rem = mag_divrem_2(q, qn, a, an, b[1], b[0]);
        if (!r)
            return rem != 0;
        r[0] = (uint64_t)rem;
        r[1] = (uint64_t)(rem >> 64);
        return r[1] ? 2 : (r[0] != 0);
    }
    return mag_divrem_knuth(q, qn, r, a, an, b, bn);
}

/* ---- setting, conversion --------------------------------------------------------------------------- */

void big_set_u64(big *r, uint64_t v) {
    r->neg = 0;
    r->n = v != 0;
    r->d[0] = v;
}

void big_set_i64(big *r, int64_t v) {
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    r->neg = v < 0;
    r->n = m != 0;
    r->d[0] = m;
}

void big_copy(big *r, const big *a) {
    if (r == a)
        return;
    r->n = a->n;
    r->neg = a->neg;
    memcpy(r->d, a->d, (size_t)a->n * sizeof(uint64_t));
}

#if PY_VERSION_HEX >= 0x030D0000
#define AS_BYTE_ARRAY(v, buf, len) _PyLong_AsByteArray((PyLongObject *)(v), (buf), (len), 1, 1, 1)
#else
#define AS_BYTE_ARRAY(v, buf, len) _PyLong_AsByteArray((PyLongObject *)(v), (buf), (len), 1, 1)
#endif

/* Limbs from little-endian bytes and back (8 bytes a limb). */
static void limbs_from_bytes(uint64_t *d, const unsigned char *buf, int nlimbs) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(d, buf, (size_t)nlimbs * sizeof(uint64_t));
#else
    for (int i = 0; i < nlimbs; i++) {
        uint64_t w = 0;
        for (int k = 7; k >= 0; k--)
            w = (w << 8) | buf[8 * i + k];
        d[i] = w;
    }
#endif
}

static void limbs_to_bytes(unsigned char *buf, const uint64_t *d, int nlimbs) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(buf, d, (size_t)nlimbs * sizeof(uint64_t));
#else
    for (int i = 0; i < nlimbs; i++)
        for (int k = 0; k < 8; k++)
            buf[8 * i + k] = (unsigned char)(d[i] >> (8 * k));
#endif
}

int big_from_pylong(big *r, PyObject *v) {
    if (!PyLong_Check(v)) {
        PyErr_Format(PyExc_TypeError, "expected an int, got %.100s", Py_TYPE(v)->tp_name);
        return BIG_PYERR;
    }
    int overflow;
    long long small = PyLong_AsLongLongAndOverflow(v, &overflow);
    if (!overflow) {
        if (small == -1 && PyErr_Occurred())
            return BIG_PYERR;
        big_set_i64(r, (int64_t)small);
        return BIG_OK;
    }
    size_t bits = _PyLong_NumBits(v); /* of the magnitude */
    if (bits == (size_t)-1 && PyErr_Occurred())
        return BIG_PYERR;
    if (bits > (size_t)BIG_LIMBS * LIMB_BITS)
        return BIG_OVERFLOW;
    /* two's complement with room for the sign bit, then the magnitude */
    int nlimbs = (int)(bits / LIMB_BITS) + 1;
    unsigned char buf[(BIG_LIMBS + 1) * 8];
    uint64_t tmp[BIG_LIMBS + 1];
    if (AS_BYTE_ARRAY(v, buf, (size_t)nlimbs * 8) < 0)
        return BIG_PYERR;
    limbs_from_bytes(tmp, buf, nlimbs);
    int neg = overflow < 0;
    if (neg) { /* magnitude = ~x + 1 */
        uint64_t carry = 1;
        for (int i = 0; i < nlimbs; i++) {
            uint64_t t = ~tmp[i] + carry;
            carry = carry && t == 0;
            tmp[i] = t;
        }
    }
    int n = mag_norm(tmp, nlimbs);
    memcpy(r->d, tmp, (size_t)n * sizeof(uint64_t));
    r->n = n;
    r->neg = neg && n != 0;
    return BIG_OK;
}

PyObject *big_to_pylong(const big *a) {
    if (a->n == 0)
        return PyLong_FromLong(0);
    if (a->n == 1) {
        uint64_t m = a->d[0];
        if (!a->neg)
            return PyLong_FromUnsignedLongLong(m);
        if (m <= (uint64_t)1 << 63)
            return PyLong_FromLongLong((long long)((uint64_t)0 - m));
    }
    /* two's complement of n + 1 limbs, the top one the sign */
    int n = a->n;
    uint64_t tmp[BIG_LIMBS + 1];
    if (a->neg) {
        uint64_t carry = 1;
        for (int i = 0; i < n; i++) {
            uint64_t t = ~a->d[i] + carry;
            carry = carry && t == 0;
            tmp[i] = t;
        }
        tmp[n] = UINT64_MAX; /* the magnitude is nonzero: no carry reaches the sign limb */
    } else {
        memcpy(tmp, a->d, (size_t)n * sizeof(uint64_t));
        tmp[n] = 0;
    }
    unsigned char buf[(BIG_LIMBS + 1) * 8];
    limbs_to_bytes(buf, tmp, n + 1);
    return _PyLong_FromByteArray(buf, (size_t)(n + 1) * 8, 1, 1);
}

/* ---- comparison ------------------------------------------------------------------------------------ */

int big_is_zero(const big *a) { return a->n == 0; }

int big_sign(const big *a) { return a->n == 0 ? 0 : (a->neg ? -1 : 1); }

int big_cmp(const big *a, const big *b) {
    if (a->neg != b->neg)
        return a->neg ? -1 : 1; /* zero is never negative, so the signs differ only between -x and y >= 0 */
    int c = mag_cmp(a->d, a->n, b->d, b->n);
    return a->neg ? -c : c;
}

int big_cmp_u64(const big *a, uint64_t b) {
    if (a->neg)
        return -1;
    if (a->n > 1)
        return 1;
    uint64_t v = a->n ? a->d[0] : 0;
    return v < b ? -1 : (v > b ? 1 : 0);
}

int big_bit_length(const big *a) {
    if (a->n == 0)
        return 0;
    return a->n * LIMB_BITS - __builtin_clzll(a->d[a->n - 1]);
}

/* ---- arithmetic ------------------------------------------------------------------------------------ */

/* r's length and sign from a magnitude operation's result: its length, or BIG_OVERFLOW (passed on). */
static inline int set_result(big *r, int n, int neg) {
    if (n < 0)
        return n;
    r->n = n;
    r->neg = neg && n != 0;
    return BIG_OK;
}

/* r = a + (bneg ? -b : b) on signs and magnitudes; r may alias a or b. */
static int add_signed(big *r, const big *a, const big *b, int bneg) {
    int aneg = a->neg, an = a->n, bn = b->n;
    if (aneg == bneg) {
        return set_result(r, an >= bn ? mag_add(r->d, a->d, an, b->d, bn) : mag_add(r->d, b->d, bn, a->d, an),
                          aneg);
    }
    int c = mag_cmp(a->d, an, b->d, bn);
    if (c == 0) {
        r->n = 0;
        r->neg = 0;
    } else if (c > 0) {
        r->n = mag_sub(r->d, a->d, an, b->d, bn);
        r->neg = aneg;
    } else {
        r->n = mag_sub(r->d, b->d, bn, a->d, an);
        r->neg = bneg;
    }
    return BIG_OK;
}

int big_add(big *r, const big *a, const big *b) { return add_signed(r, a, b, b->neg); }

int big_sub(big *r, const big *a, const big *b) { return add_signed(r, a, b, b->n != 0 && !b->neg); }

int big_mul(big *r, const big *a, const big *b) {
    int neg = a->neg != b->neg;
    return set_result(r, mag_mul(r->d, a->d, a->n, b->d, b->n), neg);
}

int big_add_u64(big *r, const big *a, uint64_t b) {
    big t;
    t.n = b != 0;
    t.neg = 0;
    t.d[0] = b;
    return add_signed(r, a, &t, 0);
}

int big_mul_u64(big *r, const big *a, uint64_t b) {
    if (b == 0 || a->n == 0) {
        r->n = 0;
        r->neg = 0;
        return BIG_OK;
    }
    int neg = a->neg;
    return set_result(r, mag_mul_1(r->d, a->d, a->n, b), neg);
}

int big_divmod(big *q, big *m, const big *a, const big *b) {
    if (b->n == 0)
        return BIG_ZERO_DIVISION;
    big bcopy;
    if (q == b || m == b) { /* b is read again after the outputs are written */
        bcopy.n = b->n;
        bcopy.neg = b->neg;
        memcpy(bcopy.d, b->d, (size_t)b->n * sizeof(uint64_t));
        b = &bcopy;
    }
    int aneg = a->neg, bneg = b->neg;
    uint64_t rem[BIG_LIMBS];
    int qn = 0;
    int rn = mag_divrem(q ? q->d : NULL, &qn, m ? rem : NULL, a->d, a->n, b->d, b->n);
    if (aneg != bneg && rn != 0) { /* floor: q = -(|q| + 1), m = |b| - |rem| with b's sign */
        if (q)
            qn = mag_add_1(q->d, q->d, qn, 1); /* |q| + 1 <= |a|: no overflow */
        if (m)
            rn = mag_sub(m->d, b->d, b->n, rem, rn);
    } else if (m) {
        memcpy(m->d, rem, (size_t)rn * sizeof(uint64_t));
    }
    if (q) {
        q->n = qn;
        q->neg = aneg != bneg && qn != 0;
    }
    if (m) {
        m->n = rn;
        m->neg = bneg && rn != 0;
    }
    return BIG_OK;
}

int big_floordiv(big *q, const big *a, const big *b) { return big_divmod(q, NULL, a, b); }

/* Magnitude shifts: r = a << bits (the used length or BIG_OVERFLOW), r = a >> bits (the used length; *lost
 * set when a one bit was shifted out). Both may alias. */
static int mag_shl(uint64_t *r, const uint64_t *a, int an, int bits) {
    if (an == 0)
        return 0;
    int limbs = bits / LIMB_BITS, s = bits % LIMB_BITS;
    if (an + limbs > BIG_LIMBS + 1)
        return BIG_OVERFLOW;
    if (s == 0) {
        if (an + limbs > BIG_LIMBS)
            return BIG_OVERFLOW;
        memmove(r + limbs, a, (size_t)an * sizeof(uint64_t));
        memset(r, 0, (size_t)limbs * sizeof(uint64_t));
        return an + limbs;
    }
    uint64_t top = a[an - 1] >> (LIMB_BITS - s);
    int n = an + limbs + (top != 0);
    if (n > BIG_LIMBS)
        return BIG_OVERFLOW;
    if (top)
        r[an + limbs] = top;
    for (int i = an - 1; i > 0; i--)
        r[i + limbs] = (a[i] << s) | (a[i - 1] >> (LIMB_BITS - s));
    r[limbs] = a[0] << s;
    memset(r, 0, (size_t)limbs * sizeof(uint64_t));
    return n;
}

static int mag_shr(uint64_t *r, const uint64_t *a, int an, int bits, int *lost) {
    int limbs = bits / LIMB_BITS, s = bits % LIMB_BITS;
    if (limbs >= an) {
        *lost = an != 0;
        return 0;
    }
    uint64_t out = 0;
    for (int i = 0; i < limbs; i++)
        out |= a[i];
    if (s)
        out |= a[limbs] << (LIMB_BITS - s);
    *lost = out != 0;
    int n = an - limbs;
    if (s == 0) {
        memmove(r, a + limbs, (size_t)n * sizeof(uint64_t));
        return n;
    }
    for (int i = 0; i < n - 1; i++)
        r[i] = (a[i + limbs] >> s) | (a[i + limbs + 1] << (LIMB_BITS - s));
    r[n - 1] = a[an - 1] >> s;
    return mag_norm(r, n);
}

/* A negative shift count is BIG_OVERFLOW: the caller's Python fallback raises Python's ValueError. */
int big_shl(big *r, const big *a, int bits) {
    if (bits < 0)
        return BIG_OVERFLOW;
    int neg = a->neg;
    return set_result(r, mag_shl(r->d, a->d, a->n, bits), neg);
}

int big_shr(big *r, const big *a, int bits) {
    if (bits < 0)
        return BIG_OVERFLOW;
    int neg = a->neg, lost;
    int n = mag_shr(r->d, a->d, a->n, bits, &lost);
    if (neg && lost) /* floor: -(|a| >> bits) - 1 */
        n = mag_add_1(r->d, r->d, n, 1);
    return set_result(r, n, neg);
}

/* ---- integer square root --------------------------------------------------------------------------- */

/* isqrt of (hi:lo), exact. From a double's square root (53 bits, within 2^13 of the root at 128 bits):
 * below 2^64 it is off by at most one; above, raised past the root, one Newton step from above lands on
 * the root or one more (its error is at most (2^15)^2 / (2 * 2^32) < 1). */
static uint64_t isqrt_u128(uint64_t hi, uint64_t lo) {
    if (hi == 0) {
        uint64_t y = (uint64_t)__builtin_sqrt((double)lo);
        if ((u128)y * y > lo)
            y--;
        else if ((u128)(y + 1) * (y + 1) <= lo)
            y++;
        return y;
    }
    if (hi > UINT64_MAX - 1 || (hi == UINT64_MAX - 1 && lo != 0)) /* >= (2^64 - 1)^2 */
        return UINT64_MAX;
    double e = __builtin_sqrt((double)hi * 18446744073709551616.0 + (double)lo);
    uint64_t y = e >= 18446744073709551616.0 - 32768.0 ? UINT64_MAX : (uint64_t)e + 16384; /* > sqrt */
    uint64_t rem, q = div_2by1(hi, lo, y, &rem); /* hi < sqrt(v) < y: the quotient fits */
    y = (uint64_t)(((u128)y + q) >> 1);
    u128 v = ((u128)hi << 64) | lo;
    return (u128)y * y > v ? y - 1 : y;
}

/* r = isqrt(a), exact (r must not overlap a); the used length. Precision doubling: with y = isqrt(a >> 2k)
 * for k = bits(a) // 4, x0 = (y + 1) << k is above sqrt(a) by at most 2^k, so one Newton step from it,
 * x1 = (x0 + a // x0) // 2, lands on isqrt(a) or isqrt(a) + 1 (its error is at most
 * 2^2k / (2 sqrt(a)) < 1); a // x0 is (a >> k) // (y + 1), a division of three quarters of a's limbs by
 * one quarter of them. */
static int mag_isqrt(uint64_t *r, const uint64_t *a, int an) {
    if (an <= 2) {
        uint64_t y = isqrt_u128(an == 2 ? a[1] : 0, an >= 1 ? a[0] : 0);
        r[0] = y;
        return y != 0;
    }
    int bits = an * LIMB_BITS - __builtin_clzll(a[an - 1]);
    int k = bits / 4, lost;
    uint64_t t[BIG_LIMBS], y[BIG_LIMBS], q[BIG_LIMBS];
    int tn = mag_shr(t, a, an, 2 * k, &lost);
    int yn = mag_isqrt(y, t, tn);
    yn = mag_add_1(y, y, yn, 1); /* y + 1 */
    tn = mag_shr(t, a, an, k, &lost);
    int qn;
    mag_divrem(q, &qn, NULL, t, tn, y, yn);
    int xn = mag_shl(r, y, yn, k); /* x0 */
    xn = xn >= qn ? mag_add(r, r, xn, q, qn) : mag_add(r, q, qn, r, xn);
    xn = mag_shr(r, r, xn, 1, &lost);
    /* x1 is isqrt(a) or one more: one more when its square exceeds a (or BIG_LIMBS) */
    uint64_t sq[BIG_LIMBS];
    int sn = mag_mul(sq, r, xn, r, xn);
    if (sn < 0 || mag_cmp(sq, sn, a, an) > 0) {
        uint64_t one = 1;
        xn = mag_sub(r, r, xn, &one, 1);
    }
    return xn;
}

int big_isqrt(big *r, const big *a) {
    if (a->neg)
        return BIG_ZERO_DIVISION;
    if (a->n <= 2) {
        uint64_t y = isqrt_u128(a->n == 2 ? a->d[1] : 0, a->n >= 1 ? a->d[0] : 0);
        big_set_u64(r, y);
        return BIG_OK;
    }
    uint64_t x[BIG_LIMBS];
    int xn = mag_isqrt(x, a->d, a->n);
    memcpy(r->d, x, (size_t)xn * sizeof(uint64_t));
    r->n = xn;
    r->neg = 0;
    return BIG_OK;
}
