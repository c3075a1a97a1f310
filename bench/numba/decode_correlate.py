"""
The yardstick for `photon-bench analyze` (bench/analyze.ts): what a lab would write in Python with
numba — read a HydraHarp V2 T2 PTU file, decode it, and count the pairs between two channels in
+-W by a two-pointer loop, both loops compiled by numba (njit, cached). Prints one JSON line with
the pair count, so the benchmark can check both programs counted the same pairs.

usage: python3 decode_correlate.py FILE CHANNEL_A CHANNEL_B WINDOW_PS BIN_PS
"""
import json
import struct
import sys

import numpy as np
from numba import njit


def header_end(data):
    """Byte offset of the records: walk the PTU tags to Header_End."""
    pos = 16
    while True:
        ident = data[pos:pos + 32].split(b"\0", 1)[0].decode("latin1")
        typ = struct.unpack_from("<I", data, pos + 36)[0]
        value = struct.unpack_from("<q", data, pos + 40)[0]
        pos += 48
        if typ in (0x4001FFFF, 0x4002FFFF, 0xFFFFFFFF):  # strings and blobs: the value is their length
            pos += value
        if ident == "Header_End":
            return pos


@njit(cache=True)
def decode(words, channel_a, channel_b):
    """HydraHarp V2 T2: special[31] channel[30:25] time[24:0]; overflow = special channel 63."""
    a = np.empty(words.size, np.int64)
    b = np.empty(words.size, np.int64)
    na = 0
    nb = 0
    ofl = 0
    for w in words:
        if w >> 31:
            if ((w >> 25) & 63) == 63:
                n = w & 0x1FFFFFF
                ofl += (1 if n == 0 else n) * 33554432
            continue
        channel = (w >> 25) & 63
        t = ofl + (w & 0x1FFFFFF)
        if channel == channel_a:
            a[na] = t
            na += 1
        elif channel == channel_b:
            b[nb] = t
            nb += 1
    return a[:na], b[:nb]


@njit(cache=True)
def correlate(a, b, window, bin_width):
    counts = np.zeros(2 * window // bin_width, np.int64)
    lo = 0
    for t in a:
        while lo < b.size and b[lo] < t - window:
            lo += 1
        j = lo
        while j < b.size and b[j] < t + window:
            counts[(b[j] - t + window) // bin_width] += 1
            j += 1
    return counts


def main():
    path, channel_a, channel_b, window, bin_width = sys.argv[1], *map(int, sys.argv[2:6])
    with open(path, "rb") as f:
        data = f.read()
    words = np.frombuffer(data, dtype=np.uint32, offset=header_end(data))
    a, b = decode(words, channel_a, channel_b)
    counts = correlate(a, b, window, bin_width)
    print(json.dumps({"pairs": int(counts.sum()), "a": int(a.size), "b": int(b.size)}))


main()
