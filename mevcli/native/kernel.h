#ifndef MEVCLI_KERNEL_H
#define MEVCLI_KERNEL_H
#include "bigint.h"

#define KERNEL_SIZE_ROUTE_DOC "size_route(hops, k, m, n, fee, upper) -> see mevcli/native/__init__.py"
PyObject *kernel_size_route(PyObject *self, PyObject *args);

#endif
