#!/usr/bin/env python3
"""Rebuild the root of an imported UN or OFAC list from the official file.

A second implementation of docs/lists.md, written from that page alone and independent of
`proof`: it reads the page's tables (fold, umlaut, legal forms, OFAC remark labels) and
docs/lists-countries.md, imports the official file the way the page describes, and prints
the Merkle root of the leaves, which must equal the `root` that `proof lists import`
writes. Malformed identifiers are left out (as `proof lists import --skip-invalid` does).

    python3 scripts/rebuild-list-root.py un-sc-xml UN_consolidated.xml
    python3 scripts/rebuild-list-root.py ofac-sdn-csv sdn.csv alt.csv sdn_comments.csv
"""

import csv
import hashlib
import io
import os
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")


def table(text, heading):
    """The rows of the first markdown table after `heading`, cells without backticks."""
    rows, seen = [], False
    for line in text[text.index(heading):].splitlines()[1:]:
        if line.startswith("|"):
            seen = True
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if set(cells[0]) <= set("-") or cells[0] in ("character", "suffix", "prefix", "label", "name"):
                continue
            rows.append([c[1:-1] if re.fullmatch(r"`[^`]*`", c) else c for c in cells])
        elif seen:
            break
    return rows


with open(os.path.join(DOCS, "lists.md"), encoding="utf-8") as f:
    PAGE = f.read()
with open(os.path.join(DOCS, "lists-countries.md"), encoding="utf-8") as f:
    COUNTRIES = {name: code for name, code in table(f.read(), "| name | code |")}
FOLD = dict(table(PAGE, "#### Fold table"))
UMLAUTS = dict(table(PAGE, "#### Umlaut table"))
SUFFIXES = [r[0].split(" ") for r in table(PAGE, "#### Legal-form suffixes")]
PREFIXES = [r[0] for r in table(PAGE, "#### Legal-form prefixes")]
# A label cell keeps its trailing space inside the backticks.
LABELS = table(PAGE, "#### OFAC remark labels")
ISO2 = set(COUNTRIES.values())
VAT_PREFIXES = "AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI GB".split()


class Invalid(Exception):
    pass


# --- names -------------------------------------------------------------------------------

def canonical_name(value, umlaut_e):
    s = unicodedata.normalize("NFC", value)
    out = []
    for c in s:
        if umlaut_e and c in UMLAUTS:
            out.append(UMLAUTS[c])
        else:
            out.append(FOLD.get(c, c))
    s = unicodedata.normalize("NFKD", "".join(out).lower())
    s = "".join(c for c in s if not unicodedata.category(c).startswith("M"))
    return " ".join("".join(c if c.isalnum() else " " for c in s).split())


def name_keys(value):
    keys = set()
    if not canonical_name(value, False):
        return keys
    for umlaut_e in (False, True):
        full = canonical_name(value, umlaut_e)
        tokens = full.split(" ")
        cut = max((len(f) for f in SUFFIXES if len(f) < len(tokens) and tokens[-len(f):] == f), default=0)
        rest = tokens[: len(tokens) - cut]
        if len(rest) > 1 and rest[0] in PREFIXES:
            rest = rest[1:]
        base = " ".join(rest)
        keys |= {full, base, " ".join(sorted(rest, key=lambda t: t.encode()))}
    return keys


# --- identifiers -------------------------------------------------------------------------

def ascii_upper(value):
    return canonical_name(value, True).upper()


def strict(value):
    v = "".join(c for c in ascii_upper(value) if c.isascii() and c.isalnum())
    if not v:
        raise Invalid(value)
    return v


def lei(value):
    v = "".join(value.split()).upper()
    if len(v) != 20 or not all(c.isascii() and c.isalnum() for c in v):
        raise Invalid(value)
    if int("".join(str(int(c, 36)) for c in v)) % 97 != 1:
        raise Invalid(value)
    return v


def imo_digits(value):
    t = value.strip()
    if t[:3].upper() == "IMO":
        t = t[3:]
    v = "".join(c for c in t if not c.isspace() and c not in ":.-")
    if len(v) != 7 or not all(c in "0123456789" for c in v):
        raise Invalid(value)
    return v


def imo(value):
    v = imo_digits(value)
    if sum(int(d) * w for d, w in zip(v, range(7, 1, -1))) % 10 != int(v[6]):
        raise Invalid(value)
    return v


def bic(value):
    v = "".join(value.split()).upper()
    if len(v) not in (8, 11) or not all(c.isascii() and c.isalnum() for c in v):
        raise Invalid(value)
    if v[4:6] != "XK" and v[4:6] not in ISO2:
        raise Invalid(value)
    return v[:8]


def vat(value):
    v = "".join(c for c in value.upper() if c.isascii() and c.isalnum())
    if v.startswith("CHE"):
        for tail in ("MWST", "TVA", "IVA"):
            if v.endswith(tail):
                v = v[: -len(tail)]
        prefix, rest = "CHE", v[3:]
    else:
        prefix, rest = v[:2], v[2:]
    if prefix != "CHE" and prefix not in VAT_PREFIXES:
        raise Invalid(value)
    if not 2 <= len(rest) <= 13 or not any(c.isdigit() for c in rest):
        raise Invalid(value)
    return prefix + rest


def german_register(value):
    tokens = []
    for word in re.split(r"[^A-Z0-9]", ascii_upper(value)):
        tokens += re.findall(r"[0-9]+|[A-Z]+", word)
    types = ["HRA", "HRB", "GNR", "PR", "VR", "GSR"]
    at = next((i for i, t in enumerate(tokens) if t in types), None)
    if at is None or at + 1 >= len(tokens) or not tokens[at + 1].isdigit():
        raise Invalid(value)
    suffix = tokens[at + 2:]
    if len(suffix) > 1 or any(len(s) > 2 for s in suffix):
        raise Invalid(value)
    court = tokens[:at]
    while court and court[0] in ("AMTSGERICHT", "AG", "REGISTERGERICHT"):
        court = court[1:]
    body = tokens[at] + (tokens[at + 1].lstrip("0") or "0") + "".join(suffix)
    return ("".join(court) + ":" + body) if court else body


def canonical(scheme, value):
    if scheme == "lei":
        return lei(value)
    if scheme == "imo":
        return imo(value)
    if scheme == "imo-company":
        return imo_digits(value)
    if scheme == "bic":
        return bic(value)
    if scheme == "vat":
        return vat(value)
    if scheme == "reg:DE":
        return german_register(value)
    if scheme.startswith("reg:") or scheme.startswith("strict:"):
        return strict(value)
    v = value.strip()  # a designation id
    if not v or not all("!" <= c <= "~" for c in v):
        raise Invalid(value)
    return v


def leaf(scheme, value):
    return hashlib.sha256(f"proof:id:v1:{scheme}:{value}".encode()).digest()


def designation_leaves(source, ident, names, ids):
    """The leaves of one designation; malformed identifiers are left out."""
    out = {leaf(source, canonical(source, ident))}
    for n in names:
        out |= {leaf("name", k) for k in name_keys(n)}
    for scheme, value in ids:
        try:
            c = canonical(scheme, value)
        except Invalid:
            continue
        out.add(leaf(scheme, c))
        if scheme.startswith("reg:"):
            out.add(leaf("strict:" + scheme[4:], c.split(":")[-1]))
    return out


# --- formats -----------------------------------------------------------------------------

def imo_mentions(text):
    found = []
    for m in re.finditer("IMO", text):
        after = text[m.end():]
        d = re.search(r"[0-9]", after)
        if d and len(after[: d.start()].encode()) <= 30:
            run = re.match(r"[0-9]+", after[d.start():]).group(0)
            if len(run) == 7:
                found.append(run)
    return found


def un(path):
    leaves = set()
    root = ET.parse(path).getroot()
    text = lambda e, tag: (e.findtext(tag) or "").strip()
    for kind in ("INDIVIDUALS/INDIVIDUAL", "ENTITIES/ENTITY"):
        for e in root.findall(kind):
            parts = [text(e, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            names = [" ".join(p for p in parts if p), text(e, "NAME_ORIGINAL_SCRIPT")]
            for a in list(e):
                if a.tag.endswith("_ALIAS") and text(a, "QUALITY") != "Low":
                    names.append(text(a, "ALIAS_NAME"))
            ids = []
            if kind.startswith("ENTITIES"):
                ids = [("imo-company", n) for n in imo_mentions(text(e, "COMMENTS1"))]
            leaves |= designation_leaves("un", text(e, "REFERENCE_NUMBER"), [n for n in names if n], ids)
    return leaves


def ofac_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(io.StringIO(f.read())):
            if len(row) == 1 and not row[0].strip("\x1a "):
                continue
            if row:
                yield row


def field(row, i):
    v = row[i].strip() if i < len(row) else ""
    return "" if v == "-0-" else v


def ofac_identifiers(remarks, kind):
    out = []
    for item in remarks.split(";"):
        item = item.strip().rstrip(".")
        if item.startswith("alt. "):
            item = item[5:]
        hit = next(((l, s) for l, s in LABELS if item.startswith(l)), None)
        if not hit:
            continue
        body = item[len(hit[0]):].strip()
        country = None
        i = body.rfind(" (")
        if i >= 0 and body.endswith(")"):
            country = COUNTRIES.get(canonical_name(body[i + 2:-1], False))
            body = body[:i].strip()
        if not body:
            continue
        scheme = hit[1]
        if scheme.startswith("`imo` for a vessel"):
            out.append(("imo" if kind == "vessel" else "imo-company", body))
        elif scheme in ("lei", "bic"):
            out.append((scheme, body))
        elif scheme.startswith("`reg:GB`"):
            out.append(("reg:GB", body))
        elif kind == "individual":
            continue
        else:
            if scheme.startswith("`vat`"):
                try:
                    vat(body)
                    out.append(("vat", body))
                    continue
                except Invalid:
                    pass
            if country is None:
                continue
            reg = scheme == "reg:CC"
            if country == "DE":
                try:
                    german_register(body)
                    reg = True
                except Invalid:
                    pass
            out.append((("reg:" if reg else "strict:") + country, body))
    return out


def ofac(paths):
    files = {os.path.basename(p).lower(): p for p in paths}
    comments, aliases = {}, {}
    if "sdn_comments.csv" in files:
        for row in ofac_rows(files["sdn_comments.csv"]):
            comments[field(row, 0)] = comments.get(field(row, 0), "") + row[1]
    if "alt.csv" in files:
        for row in ofac_rows(files["alt.csv"]):
            aliases.setdefault(field(row, 0), []).append(field(row, 3))
    leaves = set()
    for row in ofac_rows(files["sdn.csv"]):
        ent, kind = field(row, 0), field(row, 2)
        remarks = row[11].strip()
        if remarks == "-0-":
            remarks = ""
        remarks += comments.get(ent, "")
        names = [n for n in [field(row, 1)] + aliases.get(ent, []) if n]
        leaves |= designation_leaves("ofac", ent, names, ofac_identifiers(remarks, kind))
    return leaves


# --- the Merkle root (RFC 6962 shape over the sorted leaves) -----------------------------

def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def main(argv):
    if len(argv) < 3 or argv[1] not in ("un-sc-xml", "ofac-sdn-csv"):
        sys.exit(__doc__)
    leaves = un(argv[2]) if argv[1] == "un-sc-xml" else ofac(argv[2:])
    print(mth(sorted(leaves)).hex())
    print(f"{len(leaves)} leaves", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
