#!/usr/bin/env python3
"""Prints predicted and true Fashion-MNIST classes side by side from two
int32 .npy files (standard library only)."""
import ast
import struct
import sys

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
           "Shirt", "Sneaker", "Bag", "Ankle boot"]


def read_ints(path):
    with open(path, "rb") as f:
        data = f.read()
    hlen = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    count = 1
    for d in header["shape"]:
        count *= d
    fmt = {"<i4": "i", "<i8": "q"}[header["descr"]]
    return struct.unpack("<%d%s" % (count, fmt), data[10 + hlen:])


pred, true = read_ints(sys.argv[1]), read_ints(sys.argv[2])
print("%-6s %-14s %-14s" % ("image", "predicted", "true"))
for i, (p, t) in enumerate(zip(pred, true)):
    print("%-6d %-14s %-14s" % (i, CLASSES[p], CLASSES[t]))
hits = sum(p == t for p, t in zip(pred, true))
print("%d of %d correct" % (hits, len(pred)))
