/* mevcli.native._kernel: the native sizing kernel (kernel.c) and a hook that runs one bigint operation
 * (the differential tests of bigint.c against Python's own integers). */
#include "bigint.h"
#include "kernel.h"

/* Raise the Python error a bigint status stands for; NULL. */
static PyObject *raise_status(int status) {
    if (status == BIG_OVERFLOW)
        PyErr_SetString(PyExc_OverflowError, "result does not fit the native integer width");
    else if (status == BIG_ZERO_DIVISION)
        PyErr_SetString(PyExc_ZeroDivisionError, "integer division or modulo by zero");
    return NULL;
}

/* _bigint_eval(op, a, b=0, into=0) -> int: what the bigint library makes of `a op b` (ops named as in
 * bigint.h: add sub mul add_u64 mul_u64 floordiv mod divmod shl shr isqrt cmp cmp_u64 bit_length sign
 * roundtrip; divmod gives the pair). `into` 1 or 2 writes the result over a or b (outputs that alias an
 * input); divmod then writes the quotient there and the remainder over the other operand. */
static PyObject *bigint_eval(PyObject *self, PyObject *args) {
    const char *op;
    PyObject *pa, *pb = NULL;
    big a, b, r;
    int status = BIG_OK, into = 0;
    if (!PyArg_ParseTuple(args, "sO|Oi", &op, &pa, &pb, &into))
        return NULL;
    if ((status = big_from_pylong(&a, pa)) != BIG_OK)
        return status == BIG_PYERR ? NULL : raise_status(status);
    big_set_u64(&b, 0);
    if (pb != NULL && (status = big_from_pylong(&b, pb)) != BIG_OK)
        return status == BIG_PYERR ? NULL : raise_status(status);
    uint64_t small = (b.n == 0) ? 0 : b.d[0];
    big *out = into == 1 ? &a : (into == 2 ? &b : &r);
    if (!strcmp(op, "add")) status = big_add(out, &a, &b);
    else if (!strcmp(op, "sub")) status = big_sub(out, &a, &b);
    else if (!strcmp(op, "mul")) status = big_mul(out, &a, &b);
    else if (!strcmp(op, "add_u64")) status = big_add_u64(out, &a, small);
    else if (!strcmp(op, "mul_u64")) status = big_mul_u64(out, &a, small);
    else if (!strcmp(op, "floordiv")) status = big_floordiv(out, &a, &b);
    else if (!strcmp(op, "mod")) status = big_divmod(NULL, out, &a, &b);
    else if (!strcmp(op, "divmod")) {
        big q, *rem = into == 1 ? &b : (into == 2 ? &a : &r);
        if (into == 0)
            out = &q;
        if ((status = big_divmod(out, rem, &a, &b)) != BIG_OK)
            return raise_status(status);
        return Py_BuildValue("(NN)", big_to_pylong(out), big_to_pylong(rem));
    }
    else if (!strcmp(op, "shl")) status = big_shl(out, &a, (int)small);
    else if (!strcmp(op, "shr")) status = big_shr(out, &a, (int)small);
    else if (!strcmp(op, "isqrt")) {
        status = big_isqrt(out, &a);
        if (status == BIG_ZERO_DIVISION) {
            PyErr_SetString(PyExc_ValueError, "isqrt() argument must be nonnegative");
            return NULL;
        }
    }
    else if (!strcmp(op, "cmp")) return PyLong_FromLong(big_cmp(&a, &b));
    else if (!strcmp(op, "cmp_u64")) return PyLong_FromLong(big_cmp_u64(&a, small));
    else if (!strcmp(op, "bit_length")) return PyLong_FromLong(big_bit_length(&a));
    else if (!strcmp(op, "sign")) return PyLong_FromLong(big_sign(&a));
    else if (!strcmp(op, "roundtrip")) big_copy(out, &a);
    else {
        PyErr_Format(PyExc_ValueError, "unknown operation %s", op);
        return NULL;
    }
    if (status != BIG_OK)
        return raise_status(status);
    return big_to_pylong(out);
}

static PyMethodDef methods[] = {
    {"size_route", (PyCFunction)(void (*)(void))kernel_size_route, METH_FASTCALL, KERNEL_SIZE_ROUTE_DOC},
    {"register", kernel_register, METH_VARARGS, KERNEL_REGISTER_DOC},
    {"_bigint_eval", bigint_eval, METH_VARARGS, "One bigint operation (the bigint library's tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "mevcli.native._kernel",
    .m_doc = "The native sizing kernel: sizing.size_route's V2/V3 path in C, the same integers.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__kernel(void) {
    return PyModule_Create(&module);
}
