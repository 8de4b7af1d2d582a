#!/usr/bin/env python3
"""Which LibTorch the build uses, and how: the layout check behind @libtorch (libtorch.bzl runs it when it
fetches the repository; libtorch_layout_test.sh runs it on stand-in directories).

  libtorch_layout.py [--cuda] [DIR]

Without DIR: Debian's LibTorch (libtorch-dev, CPU), headers under /usr/include, libraries on the default
search path. With DIR (the value of LRB_LIBTORCH): a LibTorch distribution, either the libtorch archive
(DIR/include, DIR/lib) or a pip torch package (site-packages/torch, the same include/ and lib/).
--cuda (--config=cuda): the CUDA libraries must be there too; they are linked with --no-as-needed so that
their static initialisers register the CUDA backend (torch::cuda::is_available()).

Prints what the repository's BUILD file needs, one `key=value` a line:
  headers=DIR        the directory mounted as the repository's include/ (its headers are declared)
  includes=A B       include directories under the repository root (-isystem)
  linkopts=...       the link options of @libtorch//:torch
A directory that is not a LibTorch layout, or --cuda without CUDA libraries, prints one line
`LRB_LIBTORCH...: ...` naming the missing file on stderr and exits 1.
"""
import os
import sys

DEBIAN_HEADERS = "/usr/include/torch/csrc/api/include"
DEBIAN_LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"]
API = "include/torch/csrc/api/include"
LIBS = ["torch", "torch_cpu", "c10"]
CUDA_LIBS = ["torch_cuda", "c10_cuda"]


class LayoutError(Exception):
    pass


def debian(cuda):
    if not os.path.isfile(os.path.join(DEBIAN_HEADERS, "torch/torch.h")):
        raise LayoutError("LRB_LIBTORCH is unset and Debian's LibTorch is missing: %s/torch/torch.h "
                          "(install libtorch-dev, tools/setup.sh)" % DEBIAN_HEADERS)
    libdir = next((d for d in DEBIAN_LIBDIRS if os.path.exists(os.path.join(d, "libtorch.so"))), DEBIAN_LIBDIRS[0])
    for name in LIBS:
        path = os.path.join(libdir, "lib%s.so" % name)
        if not os.path.exists(path):
            raise LayoutError("LRB_LIBTORCH is unset and Debian's LibTorch is incomplete: %s is missing" % path)
    if cuda:
        raise LayoutError("LRB_LIBTORCH: --config=cuda needs LRB_LIBTORCH set to a LibTorch with CUDA "
                          "(Debian's LibTorch is CPU-only: %s/libtorch_cuda.so is missing)" % libdir)
    # Headers one level below /usr/include (the rest of LibTorch's headers are on the system path).
    return {"headers": DEBIAN_HEADERS, "includes": ["include"], "linkopts": ["-l" + n for n in LIBS]}


def distribution(root, cuda):
    if not os.path.isdir(root):
        raise LayoutError("LRB_LIBTORCH=%s: not a directory" % root)
    root = os.path.realpath(root)
    if any(c.isspace() for c in root):
        raise LayoutError("LRB_LIBTORCH=%s: a path with white space cannot be a link option" % root)
    hint = " (expected the libtorch archive or a pip torch package: include/, lib/)"
    if os.path.isfile(os.path.join(root, "torch", "lib", "libtorch.so")):
        hint = " (a pip install? LRB_LIBTORCH=%s/torch)" % root
    for rel in [API + "/torch/torch.h"] + ["lib/lib%s.so" % n for n in LIBS]:
        if not os.path.exists(os.path.join(root, rel)):
            raise LayoutError("LRB_LIBTORCH=%s is not a LibTorch: %s is missing%s" % (root, rel, hint))
    config = os.path.join(root, "share/cmake/Torch/TorchConfig.cmake")
    if os.path.isfile(config):
        with open(config, encoding="utf-8", errors="replace") as f:
            if "_GLIBCXX_USE_CXX11_ABI=0" in f.read():
                raise LayoutError("LRB_LIBTORCH=%s: share/cmake/Torch/TorchConfig.cmake says it was built with the "
                                  "pre-C++11 ABI (_GLIBCXX_USE_CXX11_ABI=0); abseil and gtest here use the C++11 "
                                  "ABI (take the cxx11-abi archive)" % root)
    libdir = os.path.join(root, "lib")
    linkopts = ["-L" + libdir, "-Wl,-rpath," + libdir] + ["-l" + n for n in LIBS]
    if cuda:
        for name in CUDA_LIBS:
            if not os.path.exists(os.path.join(libdir, "lib%s.so" % name)):
                raise LayoutError("LRB_LIBTORCH=%s: --config=cuda needs its CUDA libraries, but lib/lib%s.so is "
                                  "missing (a CPU-only LibTorch?)" % (root, name))
        linkopts += ["-Wl,--no-as-needed"] + ["-l" + n for n in CUDA_LIBS] + ["-Wl,--as-needed"]
    return {"headers": os.path.join(root, "include"), "includes": ["include", API],
            "linkopts": linkopts}


def main(argv):
    args = [a for a in argv if a != "--cuda"]
    cuda = len(args) != len(argv)
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print("usage: libtorch_layout.py [--cuda] [DIR]", file=sys.stderr)
        return 2
    try:
        layout = distribution(args[0], cuda) if args and args[0] else debian(cuda)
    except LayoutError as e:
        print(e, file=sys.stderr)
        return 1
    print("headers=" + layout["headers"])
    print("includes=" + " ".join(layout["includes"]))
    print("linkopts=" + " ".join(layout["linkopts"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
