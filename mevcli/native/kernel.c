/* Placeholder until the kernel lands: every route goes back to Python. */
#include "kernel.h"

PyObject *kernel_size_route(PyObject *self, PyObject *args) {
    Py_RETURN_NOTIMPLEMENTED;
}
