#!/usr/bin/env python3
"""Pairs kiln's `bench ops` JSON lines with the peers' (ops_peers.py) by bench name and
prints a ratio table: kiln seconds / best peer seconds (below 1 means kiln is faster).

usage: ratios.py KILN.jsonl PEERS.jsonl [--markdown]
Lines that are not JSON objects with "bench", "impl" and "seconds" are ignored.
"""
import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if {"bench", "impl", "seconds"} <= r.keys():
                rows.append(r)
    return rows


def fmt_s(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3f} ms"
    return f"{s * 1e6:.1f} us"


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    markdown = "--markdown" in argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    kiln = {r["bench"]: r for r in load(args[0]) if r["impl"] == "kiln"}
    peers = {}
    for r in load(args[1]):
        if r["impl"] != "kiln":
            peers.setdefault(r["bench"], {})[r["impl"]] = r
    peer_names = sorted({p for d in peers.values() for p in d})
    names = list(kiln) + [b for b in peers if b not in kiln]
    header = ["bench", "kiln"] + peer_names + ["best peer", "kiln / best"]
    table = []
    for b in names:
        k = kiln.get(b)
        ps = peers.get(b, {})
        best = min(ps.values(), key=lambda r: r["seconds"]) if ps else None
        ratio = f"{k['seconds'] / best['seconds']:.2f}x" if k and best else ("no peer" if k else "no kiln")
        row = [b, fmt_s(k["seconds"]) if k else "-"]
        row += [fmt_s(ps[p]["seconds"]) if p in ps else "-" for p in peer_names]
        row += [best["impl"] if best else "-", ratio]
        table.append(row)
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(str(r[i])) for r in [header] + table) for i in range(len(header))]
        for row in [header] + table:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
