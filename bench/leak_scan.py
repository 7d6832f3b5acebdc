#!/usr/bin/env python3
"""Looks for a generated corpus's personal data where none may be: database files, logs,
temporary directories, pick-up indexes. The needles come from the corpus's
NNNN.expected.json files (or its expected.jsonl): identity codes, surnames, first names, phone numbers (E.164 and
national) and street names. Words shorter than six characters are left out, because random
bytes in encrypted data would match them by chance.

Every file under each PATH is read as bytes. Runs of letters, digits, '+' and '-' (UTF-8
letters included) are compared with the needles. Only counts and file names are printed,
never a value found. Exit status 1 when anything is found.

Usage: bench/leak_scan.py --corpus DIR PATH...
"""

import argparse
import json
import os
import re
import sys

# Not after "digit.": the fraction of a decimal number (a duration in a trace, say) is no
# phone number, and "0.014360851" once matched one in national form.
TOKEN = re.compile(rb"(?<![0-9]\.)[A-Za-z0-9+\-\x80-\xff]{6,}")
MIN_LEN = 6


def expected_fields(corpus):
    """The expected fields of every message: NNNN.expected.json files (eml format), or the
    lines of expected.jsonl (Maildir format, given as the Maildir or its new/ folder)."""
    for folder in (corpus, os.path.dirname(os.path.normpath(corpus))):
        jsonl = os.path.join(folder, "expected.jsonl")
        if os.path.isfile(jsonl):
            with open(jsonl, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        yield json.loads(line).get("fields") or {}
            return
    for name in os.listdir(corpus):
        if name.endswith(".expected.json"):
            with open(os.path.join(corpus, name), encoding="utf-8") as f:
                yield json.load(f).get("fields") or {}


def needles(corpus):
    found = {}

    def add(kind, value):
        if value and len(value) >= MIN_LEN:
            found.setdefault(value, kind)

    for fields in expected_fields(corpus):
        add("personal_id", fields.get("personal_id"))
        add("surname", fields.get("surname"))
        for first in (fields.get("first_names") or "").split():
            add("first_name", first)
        for former in fields.get("former_names") or []:
            add("former_name", former)
        phone = fields.get("phone")
        if phone:
            add("phone", phone)
            if phone.startswith("+358"):
                add("phone", "0" + phone[4:])
        address = fields.get("address") or {}
        street = (address.get("street") or "").split()
        if street:
            add("street", street[0])
    return found


def scan(path, wanted, hits, totals):
    for root, _, files in os.walk(path) if os.path.isdir(path) else [(os.path.dirname(path), [], [os.path.basename(path)])]:
        for name in files:
            file = os.path.join(root, name)
            try:
                with open(file, "rb") as f:
                    data = f.read()
            except OSError as e:
                print(f"cannot read {file}: {e.strerror}", file=sys.stderr)
                continue
            totals["files"] += 1
            totals["bytes"] += len(data)
            for token in set(TOKEN.findall(data)):
                word = token.decode("utf-8", "ignore").strip("+-")
                kind = wanted.get(word)
                if kind:
                    hits.setdefault(file, {}).setdefault(kind, 0)
                    hits[file][kind] += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    wanted = needles(args.corpus)
    kinds = {}
    for kind in wanted.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    print("needles            " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    hits, totals = {}, {"files": 0, "bytes": 0}
    for path in args.paths:
        scan(path, wanted, hits, totals)
    print(f"scanned            {totals['files']} files, {totals['bytes'] / 1048576:.1f} MiB")
    if not hits:
        print("found              nothing")
        return 0
    for file, kinds in sorted(hits.items()):
        print(f"FOUND in {file}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    return 1


if __name__ == "__main__":
    sys.exit(main())
