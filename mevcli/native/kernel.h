#ifndef MEVCLI_KERNEL_H
#define MEVCLI_KERNEL_H
#include "bigint.h"

#define KERNEL_SIZE_ROUTE_DOC                                                                              \
    "size_route(hops, k, m, n, fee_mode, fee_num, fee_den, rate_num, rate_den, upper) -> (amount, out, " \
    "trail) | None | NotImplemented: sizing.size_route for a route of V2Hop/V3Hop quoters (see kernel.c)."
#define KERNEL_REGISTER_DOC "register(V2Hop, V3Hop): the quoter classes the kernel reads."
PyObject *kernel_size_route(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *kernel_register(PyObject *self, PyObject *args);

#endif
