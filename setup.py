"""The native sizing kernel (mevcli/native, C): the rest of the build is in pyproject.toml.

Optional: where it cannot be compiled (no C compiler), mevcli installs without it and sizes in Python,
with the same results, slower (`mevcli.native.kernel` is then None)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mevcli.native._kernel",
            sources=["mevcli/native/module.c", "mevcli/native/bigint.c", "mevcli/native/kernel.c"],
            depends=["mevcli/native/bigint.h", "mevcli/native/kernel.h"],
            # kernel.c reads its narrower kept values through `big` pointers (same layout, fewer limbs)
            extra_compile_args=[
                *("-O2", "-std=c11", "-fno-strict-aliasing"),
                *("-Wall", "-Wextra", "-Wno-unused-parameter"),
            ],
            optional=True,
        )
    ]
)
