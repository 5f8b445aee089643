"""Reads what test_io.cpp wrote and checks it with python's own json and csv modules.

usage: check_io.py json FILE | csv FILE
Exits 0 when the file parses to the expected values, else prints the difference.
"""
import csv
import json
import math
import sys

EXPECTED_JSON = {
    "plain": "hello",
    "escapes": "quote \" backslash \\ slash / newline \n tab \t cr \r bell \x07 nul \x00 del \x7f",
    "unicode": "\u00b5m \u2192 \U0001f600",
    "invalid utf-8": "a\ufffdb\ufffd\ufffdc",
    # "-0" reads back as the int 0, so its sign is not checked here (format_number is)
    "numbers": [0.1, 1e-05, 1e300, 0.0, 3.0, 5e-324, 1.7976931348623157e308, 2.0 / 3.0],
    "non-finite": [None, None, None],
    "integers": [0, -1, 9223372036854775807, -9223372036854775808, 18446744073709551615],
    "booleans": [True, False, None],
    "empty object": {},
    "empty array": [],
    "nested": {"a": [1, [2, {"b": "c"}]], "d": {}},
    "": "empty key",
}

EXPECTED_CSV = [
    ["step", "split", "with,comma", 'with "quotes"', "line\nbreak", ""],
    ["100", "validation", "0.1", "nan", "inf", "-inf"],
    ["-5", "", "1e-05", "0.30000000000000004", "18446744073709551615", "x"],
]


def same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) == type(b) and a == b


def main():
    kind, path = sys.argv[1], sys.argv[2]
    if kind == "json":
        with open(path, encoding="utf-8") as f:
            got = json.load(f)
        # json reads 3 as int; the C++ side wrote 3.0 as a double, which prints "3".
        got["numbers"] = [float(v) for v in got["numbers"]]
        if not same(got, EXPECTED_JSON):
            for k in EXPECTED_JSON:
                if not same(got.get(k), EXPECTED_JSON[k]):
                    print(f"json key {k!r}: got {got.get(k)!r}, expected {EXPECTED_JSON[k]!r}")
            return 1
    elif kind == "csv":
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        if rows != EXPECTED_CSV:
            print(f"csv: got {rows!r}\nexpected {EXPECTED_CSV!r}")
            return 1
        if float(rows[1][3]) == float(rows[1][3]) or float(rows[1][4]) != math.inf:
            print("csv: nan/inf do not read back through float()")
            return 1
    else:
        print(f"unknown check {kind!r}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
