#!/usr/bin/env python3
"""Converts a (gzip-compressed) IDX file of Fashion-MNIST to .npy, using only
the standard library. Images become float32 (optionally scaled to [0, 1] and
flattened to [count, 784]); labels become int32."""
import argparse
import gzip
import struct
import sys


def write_npy(path, descr, shape, payload):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d, " % d for d in shape))
    pad = 64 - (10 + len(header) + 1) % 64
    header = header + " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode("latin1"))
        f.write(payload)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("idx")
    p.add_argument("out")
    p.add_argument("--count", type=int, default=None)
    p.add_argument("--flatten", action="store_true")
    p.add_argument("--scale", action="store_true")
    a = p.parse_args()
    opener = gzip.open if a.idx.endswith(".gz") else open
    with opener(a.idx, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        sys.exit("%s: not an unsigned-byte IDX file" % a.idx)
    ndim = data[3]
    dims = list(struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim]))
    body = data[4 + 4 * ndim:]
    count = dims[0] if a.count is None else min(a.count, dims[0])
    per = 1
    for d in dims[1:]:
        per *= d
    if len(body) < dims[0] * per:
        sys.exit("%s: truncated (%d bytes of %d)" % (a.idx, len(body), dims[0] * per))
    values = body[:count * per]
    if ndim == 1:
        write_npy(a.out, "<i4", [count], struct.pack("<%di" % count, *values))
        return
    shape = [count, per] if a.flatten else [count] + dims[1:]
    scale = 1.0 / 255.0 if a.scale else 1.0
    write_npy(a.out, "<f4", shape,
              struct.pack("<%df" % len(values), *[v * scale for v in values]))


if __name__ == "__main__":
    main()
