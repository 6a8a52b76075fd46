/* `sizing.size_route` for routes of V2 pairs and V3 pools, in C, with the same integers.
 *
 * Every step below repeats, expression for expression, what mevcli/arbitrage/sizing.py computes for such
 * a route: the closed-form start, `refine_guess`'s rounds on the piecewise Möbius form, `_maximize_near`
 * and `maximize`'s golden-section search, over the exact pool math of `V2Hop` and `V3Hop` (a V3 hop's
 * swap steps are the ones its Python object computed; a step not yet computed is asked of it). The
 * result is the same amount, output and per-hop amounts, so the Python code stays the definition.
 *
 * Where the Python code would take a path this file does not carry (a quote through the pool's full
 * swap loop, a step that raises, the price limit, a value wider than the bigint width), the kernel
 * gives the whole route back (NotImplemented) and Python sizes it from the start: nothing is half-done.
 * `_output_upper`'s bounds are not used here: they only spare exact quotes that could not win, and an
 * exact quote is as cheap as a bound in C, so the comparisons see the exact values and pick the same.
 */
#include "kernel.h"

#include <stddef.h>
#include <string.h>

enum { K_OK = 0, K_BAIL = 1, K_NONE = 2, K_ERROR = 3 /* a Python exception is set: raised */ };
#define TRY(expr)                        \
    do {                                 \
        if ((expr) != BIG_OK)            \
            return K_BAIL;               \
    } while (0)
#define PASS(expr)                       \
    do {                                 \
        int status_ = (expr);            \
        if (status_ != K_OK)             \
            return status_;              \
    } while (0)

#define PIPS 1000000u
#define MAX_HOPS 8
#define MOBIUS_SPREAD 14
#define REFINED_SPREAD 24
#define PRECISION_BITS 22
#define LARGE_BITS 200 /* steps._LARGE = 2**200: past it the full swap quotes */
#define MEMO_SIZE 96
#define PHI_NUM 1000000u /* golden-section ratio as integers: 0.618 ≈ 1_000_000 / 1_618_034 */
#define PHI_DEN 1618034u

static PyTypeObject *v2_type, *v3_type; /* V2Hop and V3Hop, from `register` */
static PyObject *name_native, *name_steps, *name_end, *name_extend, *name_first_is_state, *name_gamma,
    *name_scaled_reserve_in, *name_reserve_out, *name_zero_for_one, *name_fee, *name_limit, *name_usable;
static big big_pips, big_one, big_phi_den;

/* A value kept between calls: `big`'s layout with room for KEPT_LIMBS limbs only (a kept value is at
 * most 384 bits: prices, liquidity, uint256 amounts and their products with a fee), read through
 * `KEPT(x)` as a `const big *` (the library reads a value's first n limbs only; the build turns strict
 * aliasing off). A full `big` is ~392 bytes: a V3 step of them was ~3.9 KB, of these ~0.8 KB. */
#define KEPT_LIMBS 8
typedef struct {
    int n;
    int neg;
    uint64_t d[KEPT_LIMBS];
} kept;
_Static_assert(offsetof(kept, n) == offsetof(big, n) && offsetof(kept, neg) == offsetof(big, neg) &&
                   offsetof(kept, d) == offsetof(big, d),
               "kept must be laid out as big");
#define KEPT(value) ((const big *)&(value))

/* r = a, where it fits a kept value. */
static int keep(kept *r, const big *a) {
    if (a->n > KEPT_LIMBS)
        return K_BAIL;
    r->n = a->n;
    r->neg = a->neg;
    memcpy(r->d, a->d, (size_t)a->n * sizeof(uint64_t));
    return K_OK;
}

/* r = the Python int `value`: K_BAIL (no error set) where it is not an int or too wide. */
static int from_pylong(big *r, PyObject *value) {
    int status = big_from_pylong(r, value);
    if (status == BIG_PYERR)
        PyErr_Clear();
    return status == BIG_OK ? K_OK : K_BAIL;
}

/* r = the Python int `value`, where it fits a kept value. */
static int keep_pylong(kept *r, PyObject *value) {
    big full;
    PASS(from_pylong(&full, value));
    return keep(r, &full);
}

/* One full-or-partial swap step of a V3 hop, as `V3Hop._steps` holds it, and its range's Möbius form. */
typedef struct {
    kept sqrt, target, liquidity, reach, paid, paid_out, shifted, product;
    int reached_ok;      /* 0: reaching the target raises */
    int target_is_limit; /* the target is the hop's price limit */
    int has_form;
    kept form_a, form_b; /* (a, b, c) of the range: c is the hop's complement */
} step_t;

/* What the kernel keeps of a hop between candidates, kept in the hop's `_native` slot. */
typedef struct {
    PyObject_HEAD
    int v3;
    /* V2: out = y·gamma·reserve_out // (scaled_reserve_in + y·gamma), its Möbius piece (gamma·R_out, S, gamma) */
    kept gamma, scaled_reserve_in, reserve_out, gamma_reserve_out;
    /* V3 */
    int zero_for_one, usable, first_is_state;
    uint64_t complement; /* PIPS − fee */
    kept limit;
    step_t *steps;
    int count, capacity;
} NativeHop;

static void native_hop_dealloc(NativeHop *self) {
    PyMem_Free(self->steps);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A copied or pickled hop gets None in its `_native` slot (made again on its first use): NoneType(). */
static PyObject *native_hop_reduce(PyObject *self, PyObject *unused) {
    return Py_BuildValue("(O())", (PyObject *)Py_TYPE(Py_None));
}

static PyMethodDef native_hop_methods[] = {
    {"__reduce__", native_hop_reduce, METH_NOARGS, "Copies and pickles as None (a cache)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject NativeHopType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "mevcli.native._kernel.NativeHop",
    .tp_basicsize = sizeof(NativeHop),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "What the native sizing kernel keeps of one V2 or V3 hop.",
    .tp_dealloc = (destructor)native_hop_dealloc,
    .tp_methods = native_hop_methods,
};

/* ---- reading the Python objects ------------------------------------------------------------------- */

/* r = getattr(obj, name) as a bigint. */
static int attr_big(big *r, PyObject *obj, PyObject *name) {
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL) {
        PyErr_Clear();
        return K_BAIL;
    }
    int status = from_pylong(r, value);
    Py_DECREF(value);
    return status;
}

/* *r = bool(getattr(obj, name)). */
static int attr_bool(int *r, PyObject *obj, PyObject *name) {
    PyObject *value = PyObject_GetAttr(obj, name);
    if (value == NULL) {
        PyErr_Clear();
        return K_BAIL;
    }
    *r = PyObject_IsTrue(value);
    Py_DECREF(value);
    if (*r < 0) {
        PyErr_Clear();
        return K_BAIL;
    }
    return K_OK;
}

static NativeHop *new_native_hop(PyObject *hop, int v3) {
    NativeHop *h = PyObject_New(NativeHop, &NativeHopType);
    if (h == NULL) {
        PyErr_Clear();
        return NULL;
    }
    h->v3 = v3;
    h->steps = NULL;
    h->count = h->capacity = 0;
    h->first_is_state = 0;
    int ok;
    if (!v3) {
        big gamma, scaled_reserve_in, reserve_out, product;
        ok = attr_big(&gamma, hop, name_gamma) == K_OK &&
             attr_big(&scaled_reserve_in, hop, name_scaled_reserve_in) == K_OK &&
             attr_big(&reserve_out, hop, name_reserve_out) == K_OK &&
             big_mul(&product, &gamma, &reserve_out) == BIG_OK && keep(&h->gamma, &gamma) == K_OK &&
             keep(&h->scaled_reserve_in, &scaled_reserve_in) == K_OK &&
             keep(&h->reserve_out, &reserve_out) == K_OK && keep(&h->gamma_reserve_out, &product) == K_OK;
    } else {
        big fee, limit;
        ok = attr_bool(&h->zero_for_one, hop, name_zero_for_one) == K_OK &&
             attr_bool(&h->usable, hop, name_usable) == K_OK && attr_big(&fee, hop, name_fee) == K_OK &&
             attr_big(&limit, hop, name_limit) == K_OK && keep(&h->limit, &limit) == K_OK && fee.neg == 0 &&
             fee.n <= 1 &&
             (fee.n == 0 ? 0 : fee.d[0]) < PIPS;
        if (ok)
            h->complement = PIPS - (fee.n == 0 ? 0 : fee.d[0]);
    }
    if (!ok) {
        Py_DECREF(h);
        return NULL;
    }
    return h;
}

/* The hop's descriptor: its `_native` slot, made on first use. NULL (no error set) where it cannot be. */
static NativeHop *native_of(PyObject *hop) {
    int v3;
    if (Py_TYPE(hop) == v2_type)
        v3 = 0;
    else if (Py_TYPE(hop) == v3_type)
        v3 = 1;
    else
        return NULL;
    PyObject *kept = PyObject_GetAttr(hop, name_native);
    if (kept == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (Py_TYPE(kept) == &NativeHopType) {
        Py_DECREF(kept); /* the slot keeps it alive */
        return (NativeHop *)kept;
    }
    Py_DECREF(kept);
    NativeHop *h = new_native_hop(hop, v3);
    if (h == NULL)
        return NULL;
    int failed = PyObject_SetAttr(hop, name_native, (PyObject *)h);
    Py_DECREF(h);
    if (failed) {
        PyErr_Clear();
        return NULL;
    }
    return h;
}

/* Step `index` of `_steps` into h->steps[h->count]. */
static int load_step(NativeHop *h, PyObject *hop, PyObject *item) {
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 7)
        return K_BAIL;
    if (h->count == h->capacity) {
        int capacity = h->capacity ? 2 * h->capacity : 1; /* most hops are sized inside one or two steps */
        step_t *grown = PyMem_Realloc(h->steps, (size_t)capacity * sizeof(step_t));
        if (grown == NULL)
            return K_BAIL;
        h->steps = grown;
        h->capacity = capacity;
    }
    step_t *s = &h->steps[h->count];
    if (keep_pylong(&s->sqrt, PyTuple_GET_ITEM(item, 0)) != K_OK ||
        keep_pylong(&s->target, PyTuple_GET_ITEM(item, 1)) != K_OK ||
        keep_pylong(&s->liquidity, PyTuple_GET_ITEM(item, 2)) != K_OK ||
        keep_pylong(&s->reach, PyTuple_GET_ITEM(item, 3)) != K_OK ||
        keep_pylong(&s->shifted, PyTuple_GET_ITEM(item, 5)) != K_OK ||
        keep_pylong(&s->product, PyTuple_GET_ITEM(item, 6)) != K_OK)
        return K_BAIL;
    PyObject *reached = PyTuple_GET_ITEM(item, 4);
    s->reached_ok = PyTuple_Check(reached) && PyTuple_GET_SIZE(reached) == 2;
    if (s->reached_ok && (keep_pylong(&s->paid, PyTuple_GET_ITEM(reached, 0)) != K_OK ||
                          keep_pylong(&s->paid_out, PyTuple_GET_ITEM(reached, 1)) != K_OK))
        return K_BAIL;
    s->target_is_limit = big_cmp(KEPT(s->target), KEPT(h->limit)) == 0;
    s->has_form = 0;
    h->count++;
    if (h->count == 1 && attr_bool(&h->first_is_state, hop, name_first_is_state) != K_OK)
        return K_BAIL;
    return K_OK;
}

/* Make step i known, computing it through the hop (`V3Hop._extend`) where it is not yet: K_BAIL where
 * the hop has no step i (entering it raises: the Python path reports that); K_ERROR where `_extend`
 * itself raised (it keeps the pool's errors: what escapes it, a KeyboardInterrupt say, is raised). */
static int ensure_step(NativeHop *h, PyObject *hop, int i) {
    while (h->count <= i) {
        PyObject *steps = PyObject_GetAttr(hop, name_steps);
        if (steps == NULL || !PyList_Check(steps)) {
            Py_XDECREF(steps);
            PyErr_Clear();
            return K_BAIL;
        }
        if (PyList_GET_SIZE(steps) > h->count) {
            int status = load_step(h, hop, PyList_GET_ITEM(steps, h->count));
            Py_DECREF(steps);
            PASS(status);
            continue;
        }
        Py_DECREF(steps);
        PyObject *end = PyObject_GetAttr(hop, name_end);
        if (end == NULL) {
            PyErr_Clear();
            return K_BAIL;
        }
        int ended = end != Py_None;
        Py_DECREF(end);
        if (ended)
            return K_BAIL;
        PyObject *done = PyObject_CallMethodNoArgs(hop, name_extend);
        if (done == NULL)
            return K_ERROR;
        Py_DECREF(done);
    }
    return K_OK;
}

/* ---- the pool math ------------------------------------------------------------------------------- */

/* r = -(-a // b): Python's ceiling division, as sizing and the pool math write it. */
static int ceil_div(big *r, const big *a, const big *b) {
    big negated;
    big_copy(&negated, a);
    negated.neg = negated.n ? !negated.neg : 0;
    TRY(big_floordiv(r, &negated, b));
    r->neg = r->n ? !r->neg : 0;
    return K_OK;
}

/* r = amount·gamma·R_out // (S + amount·gamma): `V2Hop`, getAmountOut. */
static int v2_out(big *r, const NativeHop *h, const big *amount) {
    big with_fee, denominator;
    TRY(big_mul(&with_fee, amount, KEPT(h->gamma)));
    TRY(big_add(&denominator, KEPT(h->scaled_reserve_in), &with_fee));
    TRY(big_mul(&with_fee, &with_fee, KEPT(h->reserve_out)));
    TRY(big_floordiv(r, &with_fee, &denominator));
    return K_OK;
}

/* `V3Hop._locate`: the step `amount` ends in (one it exactly completes counts as its own), what the full
 * steps before it pay (`out`), what is left of the amount there and its fee-less part. */
static int v3_locate(NativeHop *h, PyObject *hop, const big *amount, int *index, big *out, big *remaining,
                     big *less_fee) {
    if (big_sign(amount) <= 0 || big_bit_length(amount) > LARGE_BITS || !h->usable)
        return K_BAIL;
    big_copy(remaining, amount);
    big_set_u64(out, 0);
    for (int i = 0;; i++) {
        PASS(ensure_step(h, hop, i));
        const step_t *s = &h->steps[i];
        TRY(big_mul_u64(less_fee, remaining, h->complement));
        TRY(big_floordiv(less_fee, less_fee, &big_pips));
        if (big_cmp(less_fee, KEPT(s->reach)) >= 0) {
            if (!s->reached_ok || s->target_is_limit)
                return K_BAIL;
            int more = big_cmp(remaining, KEPT(s->paid));
            if (more > 0) {
                TRY(big_sub(remaining, remaining, KEPT(s->paid)));
                TRY(big_add(out, out, KEPT(s->paid_out)));
                continue;
            }
            if (more < 0)
                return K_BAIL; /* cannot happen: a fee-less part past `reach` covers `paid` */
        }
        *index = i;
        return K_OK;
    }
}

/* `V3Hop._partial`: `out` plus what step s pays for the fee-less input `less_fee` ending inside it. */
static int v3_partial(big *r, const NativeHop *h, const step_t *s, const big *less_fee, const big *out) {
    big next, t;
    if (h->zero_for_one) {
        if (big_is_zero(less_fee)) {
            big_copy(&next, KEPT(s->sqrt));
        } else {
            TRY(big_mul(&t, less_fee, KEPT(s->sqrt)));
            TRY(big_add(&t, &t, KEPT(s->shifted)));
            if (big_bit_length(&t) > 256)
                return K_BAIL; /* the library's overflow-checked path */
            PASS(ceil_div(&next, KEPT(s->product), &t));
        }
        if (big_cmp(&next, KEPT(s->target)) == 0)
            return K_BAIL; /* rounding landed on the target: the pool's loop counts the step as reached */
        TRY(big_sub(&t, KEPT(s->sqrt), &next));
        TRY(big_mul(&t, KEPT(s->liquidity), &t));
        TRY(big_shr(&t, &t, 96));
        TRY(big_add(r, out, &t));
        return K_OK;
    }
    if (big_bit_length(less_fee) > 160)
        return K_BAIL;
    TRY(big_shl(&t, less_fee, 96));
    TRY(big_floordiv(&t, &t, KEPT(s->liquidity)));
    TRY(big_add(&next, KEPT(s->sqrt), &t));
    if (big_bit_length(&next) > 160 || big_cmp(&next, KEPT(s->target)) == 0)
        return K_BAIL;
    TRY(big_sub(&t, &next, KEPT(s->sqrt)));
    TRY(big_mul(&t, KEPT(s->shifted), &t));
    TRY(big_floordiv(&t, &t, &next));
    TRY(big_floordiv(&t, &t, KEPT(s->sqrt)));
    TRY(big_add(r, out, &t));
    return K_OK;
}

/* `V3Hop.local_quote`: the quote of `amount` and the step it ends in (`index`, with the piece's O and P:
 * what the full steps before it pay and take). */
static int v3_local_quote(big *r, NativeHop *h, PyObject *hop, const big *amount, int *index, big *paid_before,
                          big *taken_before) {
    big remaining, less_fee;
    PASS(v3_locate(h, hop, amount, index, paid_before, &remaining, &less_fee));
    const step_t *s = &h->steps[*index];
    if (taken_before != NULL)
        TRY(big_sub(taken_before, amount, &remaining));
    if (big_cmp(&less_fee, KEPT(s->reach)) >= 0)
        TRY(big_add(r, paid_before, KEPT(s->paid_out))); /* ends exactly at the boundary */
    else
        PASS(v3_partial(r, h, s, &less_fee, paid_before));
    return K_OK;
}

/* (a, b) of step i's range, c being the complement: `V3Hop._form`, through its virtual reserves. */
static int v3_form(NativeHop *h, step_t *s) {
    if (s->has_form)
        return K_OK;
    big virtual0, virtual1;
    TRY(big_shl(&virtual0, KEPT(s->liquidity), 96));
    TRY(big_floordiv(&virtual0, &virtual0, KEPT(s->sqrt)));
    TRY(big_mul(&virtual1, KEPT(s->liquidity), KEPT(s->sqrt)));
    TRY(big_shr(&virtual1, &virtual1, 96));
    const big *reserve_in = h->zero_for_one ? &virtual0 : &virtual1;
    const big *reserve_out = h->zero_for_one ? &virtual1 : &virtual0;
    big form_a, form_b;
    TRY(big_mul_u64(&form_a, reserve_out, h->complement));
    TRY(big_mul_u64(&form_b, reserve_in, PIPS));
    PASS(keep(&s->form_a, &form_a));
    PASS(keep(&s->form_b, &form_b));
    s->has_form = 1;
    return K_OK;
}

/* ---- one route --------------------------------------------------------------------------------- */

typedef struct {
    PyObject **hops;
    NativeHop *native[MAX_HOPS];
    int count;
    int fee_mode; /* the lender's fee on x: 0 none; 1 x·num/den half up (Aave's percentMul); 2 rounded up */
    big fee_num, fee_den, upper;
    big rate_num, rate_den; /* `fee_rate`: steers the refined start only */
    /* outputs per amount asked (the search asks most amounts once; this spares the rest) */
    int memo_used, memo_next;
    big memo_x[MEMO_SIZE], memo_out[MEMO_SIZE];
} route_t;

/* Keep out as the route's output for x (a ring: the oldest goes first). */
static void memo_put(route_t *route, const big *x, const big *out) {
    int slot = route->memo_next;
    route->memo_next = (slot + 1) % MEMO_SIZE;
    if (route->memo_used < MEMO_SIZE)
        route->memo_used++;
    big_copy(&route->memo_x[slot], x);
    big_copy(&route->memo_out[slot], out);
}

/* r = the route's output for x > 0 (`sizing._run`, where it does not raise). */
static int route_output(big *r, route_t *route, const big *x) {
    for (int i = 0; i < route->memo_used; i++)
        if (big_cmp(&route->memo_x[i], x) == 0) {
            big_copy(r, &route->memo_out[i]);
            return K_OK;
        }
    big amount;
    big_copy(&amount, x);
    for (int i = 0; i < route->count && !big_is_zero(&amount); i++) {
        NativeHop *h = route->native[i];
        if (!h->v3) {
            PASS(v2_out(&amount, h, &amount));
        } else {
            int index;
            big paid_before;
            PASS(v3_local_quote(&amount, h, route->hops[i], &amount, &index, &paid_before, NULL));
        }
    }
    memo_put(route, x, &amount);
    big_copy(r, &amount);
    return K_OK;
}

/* r = the lender's fee on x ≥ 0 (`FlashSource.fee`). */
static int lender_fee(big *r, const route_t *route, const big *x) {
    if (route->fee_mode == 0) {
        big_set_u64(r, 0);
        return K_OK;
    }
    big t;
    TRY(big_mul(&t, x, &route->fee_num));
    if (route->fee_mode == 1) {
        big half;
        TRY(big_shr(&half, &route->fee_den, 1));
        TRY(big_add(&t, &t, &half));
        TRY(big_floordiv(r, &t, &route->fee_den));
        return K_OK;
    }
    return ceil_div(r, &t, &route->fee_den);
}

/* r = out(x) − x − fee(x): `size_route`'s objective. */
static int profit(big *r, route_t *route, const big *x) {
    big out, fee;
    PASS(route_output(&out, route, x));
    PASS(lender_fee(&fee, route, x));
    TRY(big_sub(r, &out, x));
    TRY(big_sub(r, r, &fee));
    return K_OK;
}

static void big_min(big *r, const big *a, const big *b) { big_copy(r, big_cmp(a, b) <= 0 ? a : b); }
static void big_max(big *r, const big *a, const big *b) { big_copy(r, big_cmp(a, b) >= 0 ? a : b); }

/* `sizing._widen`: while the bracket's end (short of `limit`) is at least as good as the start, it
 * becomes the start and the end moves on by a doubling `step` (never 0 here: `maximize` has a spread). */
static int widen(route_t *route, big *guess, big *at_guess, int *have_guess, big *end, big *step,
                 const big *limit) {
    while (big_cmp(end, limit) != 0) {
        big at_end, moved;
        PASS(profit(&at_end, route, end));
        if (!*have_guess) {
            PASS(profit(at_guess, route, guess));
            *have_guess = 1;
        }
        if (big_cmp(&at_end, at_guess) < 0)
            break;
        TRY(big_shl(step, step, 1));
        int down = big_cmp(end, limit) > 0; /* the lower end moves down to 1, the upper one up to upper */
        TRY(down ? big_sub(&moved, end, step) : big_add(&moved, end, step));
        big_copy(guess, end);
        big_copy(at_guess, &at_end);
        if (down)
            big_max(end, &moved, limit);
        else
            big_min(end, &moved, limit);
    }
    return K_OK;
}

/* `sizing.maximize` (memoized) with a `spread`: (x, objective) of the golden-section search from `guess`.
 * (Python's spread=None, a bracket [guess/2, 2·guess], is for routes without a Möbius start, which the
 * kernel never gets.) */
static int maximize(big *best_x, big *best_value, route_t *route, const big *guess_in, int spread,
                    const big *plateau) {
    big guess, at_guess, lo, hi, down, up, t;
    int have_guess = 0;
    big_max(&guess, guess_in, &big_one);
    big_min(&guess, &guess, &route->upper);
    big doubled;
    TRY(big_shr(&t, &guess, spread));
    TRY(big_shl(&doubled, plateau, 1));
    big_max(&down, &t, &doubled);
    big_max(&down, &down, &big_one);
    big_copy(&up, &down);
    TRY(big_sub(&t, &guess, &down));
    big_max(&lo, &t, &big_one);
    TRY(big_add(&t, &guess, &up));
    big_min(&hi, &t, &route->upper);
    PASS(widen(route, &guess, &at_guess, &have_guess, &lo, &down, &big_one));
    PASS(widen(route, &guess, &at_guess, &have_guess, &hi, &up, &route->upper));
    big a, b, kept, at_kept, resolution, width;
    big_copy(&a, &lo);
    big_copy(&b, &hi);
    big_set_u64(&kept, 0);
    big_set_u64(&at_kept, 0);
    TRY(big_shl(&resolution, plateau, 2));
    if (big_cmp_u64(&resolution, 3) < 0)
        big_set_u64(&resolution, 3);
    for (;;) {
        TRY(big_sub(&width, &b, &a));
        TRY(big_shr(&t, &b, PRECISION_BITS));
        if (!(big_cmp(&width, &resolution) > 0 && big_cmp(&width, &t) > 0))
            break;
        big step, x1, x2, at_x1, at_x2, slack, distance;
        TRY(big_mul_u64(&step, &width, PHI_NUM));
        TRY(big_floordiv(&step, &step, &big_phi_den));
        TRY(big_sub(&x1, &b, &step));
        TRY(big_add(&x2, &a, &step));
        if (big_cmp(&x1, &x2) >= 0) {
            TRY(big_add(&x1, &a, &b));
            TRY(big_shr(&x1, &x1, 1));
            TRY(big_add_u64(&x2, &x1, 1));
        }
        TRY(big_shr(&slack, &width, 5));
        int have_kept = !big_is_zero(&kept);
        if (have_kept) {
            TRY(big_sub(&distance, &kept, &x1));
            distance.neg = 0;
            if (big_cmp(&distance, &slack) <= 0 && big_cmp(&kept, &x2) < 0) {
                big_copy(&x1, &kept);
            } else {
                TRY(big_sub(&distance, &kept, &x2));
                distance.neg = 0;
                if (big_cmp(&distance, &slack) <= 0 && big_cmp(&kept, &x1) > 0)
                    big_copy(&x2, &kept);
            }
        }
        if (have_kept && big_cmp(&x1, &kept) == 0)
            big_copy(&at_x1, &at_kept);
        else
            PASS(profit(&at_x1, route, &x1));
        if (have_kept && big_cmp(&x2, &kept) == 0)
            big_copy(&at_x2, &at_kept);
        else
            PASS(profit(&at_x2, route, &x2));
        if (big_cmp(&at_x1, &at_x2) < 0) {
            big_copy(&a, &x1);
            big_copy(&kept, &x2);
            big_copy(&at_kept, &at_x2);
        } else {
            big_copy(&b, &x2);
            big_copy(&kept, &x1);
            big_copy(&at_kept, &at_x1);
        }
    }
    /* the best of the last bracket: every amount when it is narrow, else its ends and middle */
    TRY(big_sub(&width, &b, &a));
    int have_best = 0;
    big x, value, middle;
    TRY(big_add(&middle, &a, &b));
    TRY(big_shr(&middle, &middle, 1));
    int every = big_cmp_u64(&width, 64) <= 0;
    int points = every ? (int)(width.n ? width.d[0] : 0) + 1 : 3;
    for (int i = 0; i < points; i++) {
        if (every)
            TRY(big_add_u64(&x, &a, (uint64_t)i));
        else
            big_copy(&x, i == 0 ? &a : i == 1 ? &middle : &b);
        if (!big_is_zero(&kept) && big_cmp(&x, &kept) == 0)
            big_copy(&value, &at_kept);
        else
            PASS(profit(&value, route, &x));
        if (!have_best || big_cmp(&value, best_value) > 0) {
            big_copy(best_x, &x);
            big_copy(best_value, &value);
            have_best = 1;
        }
    }
    return K_OK;
}

/* `sizing._maximize_near`: the refined start's bracket (x ± step) checked inline; `maximize` where it
 * must widen or take a golden-section step. */
static int maximize_near(big *best_x, big *best_value, route_t *route, const big *guess_in, const big *plateau) {
    big guess, step, lo, hi, t, width, resolution;
    big_max(&guess, guess_in, &big_one);
    big_min(&guess, &guess, &route->upper);
    TRY(big_shr(&step, &guess, REFINED_SPREAD));
    TRY(big_shl(&t, plateau, 1));
    big_max(&step, &step, &t);
    big_max(&step, &step, &big_one);
    TRY(big_sub(&t, &guess, &step));
    big_max(&lo, &t, &big_one);
    TRY(big_add(&t, &guess, &step));
    big_min(&hi, &t, &route->upper);
    TRY(big_sub(&width, &hi, &lo));
    TRY(big_shl(&resolution, plateau, 2));
    if (big_cmp_u64(&resolution, 3) < 0)
        big_set_u64(&resolution, 3);
    TRY(big_shr(&t, &hi, PRECISION_BITS));
    if ((big_cmp(&width, &resolution) > 0 && big_cmp(&width, &t) > 0) || big_cmp_u64(&width, 64) <= 0)
        return maximize(best_x, best_value, route, &guess, REFINED_SPREAD, plateau);
    big at_guess, at_lo, at_hi;
    PASS(profit(&at_guess, route, &guess));
    PASS(profit(&at_lo, route, &lo));
    PASS(profit(&at_hi, route, &hi));
    if ((big_cmp_u64(&lo, 1) > 0 && big_cmp(&at_lo, &at_guess) >= 0) ||
        (big_cmp(&hi, &route->upper) < 0 && big_cmp(&at_hi, &at_guess) >= 0))
        return maximize(best_x, best_value, route, &guess, REFINED_SPREAD, plateau);
    big middle, at_middle;
    TRY(big_add(&middle, &lo, &hi));
    TRY(big_shr(&middle, &middle, 1));
    big_copy(best_x, &lo);
    big_copy(best_value, &at_lo);
    if (big_cmp(&middle, &guess) == 0)
        big_copy(&at_middle, &at_guess);
    else
        PASS(profit(&at_middle, route, &middle));
    if (big_cmp(&at_middle, best_value) > 0) {
        big_copy(best_x, &middle);
        big_copy(best_value, &at_middle);
    }
    if (big_cmp(&at_hi, best_value) > 0) {
        big_copy(best_x, &hi);
        big_copy(best_value, &at_hi);
    }
    return K_OK;
}

/* The piece (a, b, c, O, P) of hop i at the last refine round: out ≈ O + a·u/(b + c·u), u = y − P. */
typedef struct {
    big a, b, c, paid_out, paid;
    int step; /* the V3 step it belongs to (0 for a V2 pair) */
} piece_t;

/* r = a·b + c·d */
static int mul_add(big *r, const big *a, const big *b, const big *c, const big *d) {
    big u;
    TRY(big_mul(&u, c, d));
    TRY(big_mul(r, a, b));
    TRY(big_add(r, r, &u));
    return K_OK;
}

/* `sizing._compose_pieces`: (r, s, p·s − q·r) of the composed (p·x + q)/(r·x + s). */
static int compose_pieces(big *r, big *s, big *det, const piece_t *pieces, int count) {
    big p, q, hp, hq, hs, t, u, np, nq, nr, ns;
    big_set_u64(&p, 1);
    big_set_u64(&q, 0);
    big_set_u64(r, 0);
    big_set_u64(s, 1);
    for (int i = 0; i < count; i++) {
        const piece_t *piece = &pieces[i];
        if (big_is_zero(&piece->paid_out) && big_is_zero(&piece->paid)) {
            /* the hop's own Möbius form (a, b, c): the matrix [[a, 0], [c, b]] */
            TRY(big_mul(&np, &piece->a, &p));
            TRY(big_mul(&nq, &piece->a, &q));
            PASS(mul_add(&nr, &piece->c, &p, &piece->b, r));
            PASS(mul_add(&ns, &piece->c, &q, &piece->b, s));
        } else {
            /* [[hp, hq], [c, hs]]: hp = O·c + a, hq = O·b − hp·P, hs = b − c·P */
            TRY(big_mul(&hp, &piece->paid_out, &piece->c));
            TRY(big_add(&hp, &hp, &piece->a));
            TRY(big_mul(&t, &hp, &piece->paid));
            TRY(big_mul(&hq, &piece->paid_out, &piece->b));
            TRY(big_sub(&hq, &hq, &t));
            TRY(big_mul(&t, &piece->c, &piece->paid));
            TRY(big_sub(&hs, &piece->b, &t));
            PASS(mul_add(&np, &hp, &p, &hq, r));
            PASS(mul_add(&nq, &hp, &q, &hq, s));
            PASS(mul_add(&nr, &piece->c, &p, &hs, r));
            PASS(mul_add(&ns, &piece->c, &q, &hs, s));
        }
        big_copy(&p, &np);
        big_copy(&q, &nq);
        big_copy(r, &nr);
        big_copy(s, &ns);
    }
    TRY(big_mul(&t, &p, s));
    TRY(big_mul(&u, &q, r));
    TRY(big_sub(det, &t, &u));
    return K_OK;
}

/* `sizing.refine_guess` with the start (K, M, N, K·M, isqrt(K·M)): K_OK with the start `x` and `plateau`,
 * K_NONE where it returns None; `trail_x`/`trail` the last round's amount and per-hop outputs. */
static int refine_guess(big *x_out, big *plateau_out, route_t *route, const big *guess, const big *m,
                        const big *n, const big *product, const big *root_of_product, big *trail_x,
                        big *trail) {
    big x, r, s, det, quantum, t;
    piece_t kept_pieces[MAX_HOPS], new_pieces[MAX_HOPS];
    piece_t *pieces = kept_pieces, *at_x = new_pieces; /* the last round's and this round's: swapped */
    big paid_now[MAX_HOPS]; /* what each hop pays for x, this round */
    int have_pieces = 0, broke = 0;
    big_copy(&x, guess);
    big_set_u64(&r, 0);
    big_set_u64(&s, 0);
    big_set_u64(&det, 0);
    big_set_u64(&quantum, 1);
    for (int round = 0; round < 5; round++) {
        if (big_cmp_u64(&x, 1) < 0 || big_cmp(&x, &route->upper) > 0)
            return K_NONE;
        big amount;
        big_copy(&amount, &x);
        big_set_u64(&quantum, 1);
        int plain = 1;
        for (int i = 0; i < route->count; i++) {
            NativeHop *h = route->native[i];
            piece_t *piece = &at_x[i];
            if (!h->v3) {
                big_copy(&piece->a, KEPT(h->gamma_reserve_out));
                big_copy(&piece->b, KEPT(h->scaled_reserve_in));
                big_copy(&piece->c, KEPT(h->gamma));
                big_set_u64(&piece->paid_out, 0);
                big_set_u64(&piece->paid, 0);
                piece->step = 0;
                PASS(v2_out(&amount, h, &amount));
            } else {
                int index;
                big quoted;
                PASS(v3_local_quote(&quoted, h, route->hops[i], &amount, &index, &piece->paid_out,
                                    &piece->paid));
                step_t *step = &h->steps[index];
                PASS(v3_form(h, step));
                big_copy(&piece->a, KEPT(step->form_a));
                big_copy(&piece->b, KEPT(step->form_b));
                big_set_u64(&piece->c, h->complement);
                piece->step = index;
                if (!big_is_zero(&piece->paid_out) || !big_is_zero(&piece->paid) || !h->first_is_state)
                    plain = 0;
                big_copy(&amount, &quoted);
            }
            if (big_is_zero(&amount))
                return K_NONE;
            big_copy(&paid_now[i], &amount);
            PASS(ceil_div(&t, &x, &amount)); /* one unit of this hop's output, in the start token */
            TRY(big_add(&quantum, &quantum, &t));
        }
        big_copy(trail_x, &x);
        for (int i = 0; i < route->count; i++)
            big_copy(&trail[i], &paid_now[i]);
        memo_put(route, &x, &paid_now[route->count - 1]); /* as refine_guess's outputs.setdefault */
        if (have_pieces) {
            int same = 1;
            for (int i = 0; i < route->count && same; i++)
                same = pieces[i].step == at_x[i].step; /* a step's piece is the same whatever the amount */
            if (same) {
                broke = 1;
                break;
            }
        }
        piece_t *swap = pieces;
        pieces = at_x;
        at_x = swap;
        have_pieces = 1;
        if (plain) {
            big_copy(&r, n);
            big_copy(&s, m);
            big_copy(&det, product);
        } else {
            PASS(compose_pieces(&r, &s, &det, pieces, route->count));
        }
        if (big_sign(&r) <= 0 || big_sign(&det) <= 0)
            return K_NONE;
        big radicand, root, next;
        if (!big_is_zero(&route->rate_num)) {
            TRY(big_mul(&radicand, &det, &route->rate_den));
            TRY(big_add(&t, &route->rate_den, &route->rate_num));
            TRY(big_floordiv(&radicand, &radicand, &t));
        } else {
            big_copy(&radicand, &det);
        }
        if (big_cmp(&radicand, product) == 0)
            big_copy(&root, root_of_product);
        else
            TRY(big_isqrt(&root, &radicand));
        TRY(big_sub(&t, &root, &s));
        TRY(big_floordiv(&next, &t, &r));
        if (big_cmp_u64(&next, 1) < 0)
            return K_NONE;
        if (big_cmp(&next, &x) == 0) {
            broke = 1;
            break;
        }
        big_copy(&x, &next);
    }
    if (!broke && (big_cmp_u64(&x, 1) < 0 || big_cmp(&x, &route->upper) > 0))
        return K_NONE;
    /* plateau = isqrt(quantum·t³ // (r·det)) for t = r·x + s > 0, at most x >> 8 */
    big plateau, cube, divisor;
    TRY(big_mul(&t, &r, &x));
    TRY(big_add(&t, &t, &s));
    if (big_sign(&t) > 0) {
        TRY(big_mul(&cube, &t, &t));
        TRY(big_mul(&cube, &cube, &t));
        TRY(big_mul(&cube, &cube, &quantum));
        TRY(big_mul(&divisor, &r, &det));
        TRY(big_floordiv(&cube, &cube, &divisor));
        TRY(big_isqrt(&plateau, &cube));
    } else {
        big_set_u64(&plateau, 0);
    }
    TRY(big_shr(&t, &x, 8));
    big_min(plateau_out, &plateau, &t);
    big_copy(x_out, &x);
    return K_OK;
}

/* The whole of `size_route` with coefficients: K_OK (amount, output, trail), K_NONE (no profit). */
static int size_route(route_t *route, const big *k, const big *m, const big *n, big *amount, big *output,
                      big *trail_x, big *trail, int *have_trail) {
    if (big_cmp(k, m) <= 0)
        return K_NONE;
    big product, root, guess, t;
    TRY(big_mul(&product, k, m));
    TRY(big_isqrt(&root, &product));
    if (big_is_zero(n)) {
        big_set_u64(&guess, 0);
    } else {
        TRY(big_sub(&t, &root, m));
        TRY(big_floordiv(&guess, &t, n));
        if (big_sign(&guess) < 0)
            big_set_u64(&guess, 0);
    }
    big start, plateau, best;
    int refined = refine_guess(&start, &plateau, route, &guess, m, n, &product, &root, trail_x, trail);
    *have_trail = refined != K_BAIL && !big_is_zero(trail_x);
    if (refined == K_BAIL || refined == K_ERROR)
        return refined;
    if (refined == K_NONE) {
        big zero;
        big_set_u64(&zero, 0);
        PASS(maximize(amount, &best, route, &guess, MOBIUS_SPREAD, &zero));
    } else {
        PASS(maximize_near(amount, &best, route, &start, &plateau));
    }
    if (big_sign(&best) <= 0)
        return K_NONE;
    PASS(route_output(output, route, amount));
    return K_OK;
}

/* ---- the Python entry points ------------------------------------------------------------------- */

PyObject *kernel_size_route(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 10) {
        PyErr_Format(PyExc_TypeError, "size_route takes 10 arguments (%zd given)", nargs);
        return NULL;
    }
    PyObject *sequence = args[0], *pk = args[1], *pm = args[2], *pn = args[3], *pnum = args[5],
             *pden = args[6], *prate_num = args[7], *prate_den = args[8], *pupper = args[9];
    int fee_mode = (int)PyLong_AsLong(args[4]);
    if (fee_mode == -1 && PyErr_Occurred())
        return NULL;
    if (!PyList_CheckExact(sequence) && !PyTuple_CheckExact(sequence))
        Py_RETURN_NOTIMPLEMENTED;
    if (v2_type == NULL || v3_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "register(V2Hop, V3Hop) first");
        return NULL;
    }
    /* the hops held for the call (a tuple is itself): a list changed by Python code the kernel runs
     * (V3Hop._extend) must not free the items it walks */
    PyObject *hops = PySequence_Tuple(sequence);
    if (hops == NULL)
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(hops);
    PyObject **items = &PyTuple_GET_ITEM(hops, 0);
    if (count < 1 || count > MAX_HOPS || fee_mode < 0 || fee_mode > 2) {
        Py_DECREF(hops);
        Py_RETURN_NOTIMPLEMENTED;
    }
    route_t *route = PyMem_Malloc(sizeof(route_t));
    if (route == NULL) {
        Py_DECREF(hops);
        return PyErr_NoMemory();
    }
    route->hops = items;
    route->count = (int)count;
    route->fee_mode = fee_mode;
    route->memo_used = route->memo_next = 0;
    big k, m, n, amount, output, trail_x, trail[MAX_HOPS];
    int have_trail = 0, status = K_OK;
    for (Py_ssize_t i = 0; i < count && status == K_OK; i++) {
        route->native[i] = native_of(items[i]);
        if (route->native[i] == NULL)
            status = K_BAIL;
    }
    big_set_u64(&trail_x, 0);
    if (status == K_OK)
        status = from_pylong(&k, pk) | from_pylong(&m, pm) | from_pylong(&n, pn) | from_pylong(&route->fee_num, pnum) |
                 from_pylong(&route->fee_den, pden) | from_pylong(&route->rate_num, prate_num) |
                 from_pylong(&route->rate_den, prate_den) | from_pylong(&route->upper, pupper);
    if (status == K_OK && big_cmp_u64(&route->upper, 1) < 0)
        status = K_BAIL;
    if (status == K_OK)
        status = size_route(route, &k, &m, &n, &amount, &output, &trail_x, trail, &have_trail);
    PyObject *result = NULL;
    if (status == K_ERROR) {
        /* the exception stands */
    } else if (status == K_BAIL) {
        result = Py_NewRef(Py_NotImplemented);
    } else if (status == K_NONE) {
        result = Py_NewRef(Py_None);
    } else {
        PyObject *py_amount = big_to_pylong(&amount), *py_output = big_to_pylong(&output);
        PyObject *py_trail = Py_NewRef(Py_None);
        if (have_trail) {
            PyObject *paid = PyList_New(count);
            for (Py_ssize_t i = 0; paid != NULL && i < count; i++) {
                PyObject *value = big_to_pylong(&trail[i]);
                if (value == NULL)
                    Py_CLEAR(paid);
                else
                    PyList_SET_ITEM(paid, i, value);
            }
            PyObject *x = big_to_pylong(&trail_x);
            Py_DECREF(py_trail);
            py_trail = (paid != NULL && x != NULL) ? PyTuple_Pack(2, x, paid) : NULL;
            Py_XDECREF(paid);
            Py_XDECREF(x);
        }
        if (py_amount != NULL && py_output != NULL && py_trail != NULL)
            result = PyTuple_Pack(3, py_amount, py_output, py_trail);
        Py_XDECREF(py_amount);
        Py_XDECREF(py_output);
        Py_XDECREF(py_trail);
    }
    PyMem_Free(route);
    Py_DECREF(hops);
    return result;
}

PyObject *kernel_register(PyObject *self, PyObject *args) {
    PyObject *v2, *v3;
    if (!PyArg_ParseTuple(args, "O!O!", &PyType_Type, &v2, &PyType_Type, &v3))
        return NULL;
    if (NativeHopType.tp_flags & Py_TPFLAGS_READY || PyType_Ready(&NativeHopType) == 0) {
        Py_XSETREF(v2_type, (PyTypeObject *)Py_NewRef(v2));
        Py_XSETREF(v3_type, (PyTypeObject *)Py_NewRef(v3));
    } else {
        return NULL;
    }
#define INTERN(var, text)                                       \
    if (var == NULL && (var = PyUnicode_InternFromString(text)) == NULL) \
        return NULL;
    INTERN(name_native, "_native");
    INTERN(name_steps, "_steps");
    INTERN(name_end, "_end");
    INTERN(name_extend, "_extend");
    INTERN(name_first_is_state, "first_is_state");
    INTERN(name_gamma, "gamma");
    INTERN(name_scaled_reserve_in, "scaled_reserve_in");
    INTERN(name_reserve_out, "reserve_out");
    INTERN(name_zero_for_one, "zero_for_one");
    INTERN(name_fee, "fee");
    INTERN(name_limit, "limit");
    INTERN(name_usable, "usable");
#undef INTERN
    big_set_u64(&big_pips, PIPS);
    big_set_u64(&big_one, 1);
    big_set_u64(&big_phi_den, PHI_DEN);
    Py_RETURN_NONE;
}
