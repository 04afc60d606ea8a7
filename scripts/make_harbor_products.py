#!/usr/bin/env python3
"""Writes examples/harbor-products.csv: Harbor Supply Co.'s 2,000 SKUs (../shared/SCENARIO.md).

Deterministic (fixed seed), so the file only changes when this script does.
"""
import random
import sys

KINDS = [
    ("Nitrile gloves", ["S", "M", "L", "XL"], 450, (12, 24)),
    ("Copy paper", ["A4", "Letter", "Legal"], 2500, (1, 12)),
    ("Safety glasses", ["clear", "tinted"], 60, (12, 24)),
    ("Hex bolt", ["M6x20", "M8x30", "M10x40", "M12x50"], 15, (24,)),
    ("Shop towels", ["blue", "white"], 900, (12,)),
    ("Toner cartridge", ["black", "cyan", "magenta", "yellow"], 700, (1,)),
    ("Cable ties", ["100mm", "200mm", "300mm"], 120, (24,)),
    ("Hand sanitizer", ["500ml", "1L"], 600, (12,)),
    ("Ballpoint pens", ["blue", "black", "red"], 150, (24,)),
    ("Work boots", ["8", "9", "10", "11", "12"], 1800, (1,)),
]


def main(out):
    rng = random.Random(20261126)
    out.write("sku,description,case_qty,weight_grams\n")
    for i in range(2000):
        name, variants, grams, cases = KINDS[i % len(KINDS)]
        variant = variants[(i // len(KINDS)) % len(variants)]
        case_qty = rng.choice(cases)
        weight = max(1, int(grams * rng.uniform(0.8, 1.2)))
        out.write(f"HS-{10001 + i},{name} {variant} #{i // len(KINDS) + 1},{case_qty},{weight}\n")


if __name__ == "__main__":
    with open(sys.argv[1] if len(sys.argv) > 1 else "examples/harbor-products.csv", "w") as f:
        main(f)
