"""The native sizing kernel (mevcli/native): the rest of the build is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mevcli.native._kernel",
            sources=["mevcli/native/module.c", "mevcli/native/bigint.c", "mevcli/native/kernel.c"],
            depends=["mevcli/native/bigint.h", "mevcli/native/kernel.h"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
        )
    ]
)
