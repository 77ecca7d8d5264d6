#!/usr/bin/env python3
"""Builds the evaluation set of the name matcher (docs/screening.md, "Evaluation").

Reads the real list files in a directory (never copied into the repository): the UN
consolidated list (XML), the OFAC SDN list of 2019 (sdn.csv, alt.csv), and the EU, UK and
OpenSanctions samples, and writes:

- suppliers.csv: supplier_id,name — one row per variant of a listed name, then the
  negatives;
- truth.csv: supplier_id,kind,expected,original — the variant kind, the designation the
  row should be a candidate for (empty for a negative) and the name it was made from.

Variants, each made from the entry's primary name with a generator seeded by the
designation and the kind (the same input gives the same bytes):

- typo: one letter of one token of 5+ letters substituted, deleted, inserted or swapped
  with its neighbour (never the token's first letter);
- dropped_token: one token left out of a name of 3+ tokens;
- swapped_tokens: two neighbouring tokens swapped; an OFAC person (`LAST, First`) written
  `First LAST`;
- diacritics_removed: combining marks removed, for names that have them;
- transliterated: the list's own Cyrillic or Greek name (UN NAME_ORIGINAL_SCRIPT, UK
  NameNonLatinScript, OpenSanctions names) written in Latin letters by the tables
  CYR_TO_LAT (BGN/PCGN-like) and GREEK_TO_LAT (ELOT-like), and one Latin name in four
  written in Cyrillic by LAT_TO_CYR (as a Russian or Ukrainian ERP would hold it);
- umlaut_ue: ä ö ü ß written ae oe ue ss, for names that have them; for names written
  with two letters (the lists' usual spelling), the first ue oe ae inside a word written
  ü ö ä, as a German ERP would hold it;
- legal_form_changed: an organisation's trailing legal form replaced by another one, or
  one added;
- noise_words: a noise word added to an organisation (GROUP, INTERNATIONAL, ...), an
  honorific to a person (Mr., Dr.).

Negatives are ordinary company and person names made from the word lists below (German,
European and international given names and surnames, company words, places, legal
forms); a negative whose name, in canonical form and with its tokens sorted, equals a
list name or alias is left out, and the count is printed.

Usage: scripts/screening-eval.py --real-lists ../shared/real-lists --out DIR
"""

import argparse
import csv
import random
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

SEED = "proof-screening-eval-v1"

LEGAL_FORMS = ["LTD", "LIMITED", "LLC", "CO", "CO LTD", "COMPANY", "CORP", "CORPORATION",
               "INC", "JSC", "SA", "SARL", "GMBH", "AG", "PLC", "BV", "FZE", "S A"]
NEW_LEGAL_FORMS = ["GmbH", "Ltd.", "LLC", "Inc.", "S.A.", "AG", "Co., Ltd.", "JSC", "B.V."]
ORG_NOISE = ["GROUP", "INTERNATIONAL", "TRADING", "HOLDING", "THE", "GLOBAL", "SERVICES"]
PERSON_NOISE = ["Mr.", "Mrs.", "Dr."]

CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g",
}
LAT_TO_CYR = [
    ("shch", "щ"), ("sh", "ш"), ("ch", "ч"), ("kh", "х"), ("zh", "ж"), ("ts", "ц"),
    ("yu", "ю"), ("ya", "я"), ("a", "а"), ("b", "б"), ("c", "к"), ("d", "д"), ("e", "е"),
    ("f", "ф"), ("g", "г"), ("h", "х"), ("i", "и"), ("j", "дж"), ("k", "к"), ("l", "л"),
    ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"), ("s", "с"),
    ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("x", "кс"), ("y", "й"), ("z", "з"),
]
GREEK_TO_LAT = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
    "ω": "o",
}
UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss"}

GIVEN = ["Anna", "Maria", "Lena", "Julia", "Laura", "Sophie", "Katharina", "Sabine",
         "Petra", "Monika", "Claudia", "Birgit", "Ursula", "Ingrid", "Heike", "Karin",
         "Thomas", "Michael", "Andreas", "Stefan", "Markus", "Christian", "Frank",
         "Jürgen", "Klaus", "Wolfgang", "Uwe", "Bernd", "Jan", "Tobias", "Florian",
         "Lukas", "Jonas", "Felix", "Matthias", "Sebastian", "Pierre", "Claire", "Marco",
         "Giulia", "Luca", "Sofia", "Piotr", "Agnieszka", "Tomasz", "Jana", "Petr",
         "Lars", "Ingrid", "Emma", "Oliver", "James", "Sarah", "David", "Emily",
         "Mehmet", "Ayse", "Fatma", "Emre", "Elif", "Murat", "Zeynep", "Hakan",
         "Olga", "Sergei", "Natalia", "Dmitri", "Irina", "Wei", "Li", "Hiroshi", "Yuki",
         "Priya", "Rahul", "Ana", "João", "Carmen", "Javier"]
SURNAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
            "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter",
            "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
            "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause",
            "Meier", "Lehmann", "Schmid", "Schulze", "Maier", "Köhler", "Herrmann",
            "König", "Walter", "Mayer", "Huber", "Kaiser", "Fuchs", "Peters", "Lang",
            "Scholz", "Möller", "Weiß", "Jung", "Hahn", "Vogel", "Friedrich", "Dubois",
            "Martin", "Bernard", "Rossi", "Russo", "Bianchi", "Kowalski", "Nowak",
            "Novák", "Jensen", "Nielsen", "Andersson", "Smith", "Jones", "Taylor",
            "Brown", "Wilson", "Evans", "Yılmaz", "Kaya", "Demir", "Şahin", "Çelik",
            "Öztürk", "Ivanova", "Petrov", "Smirnov", "Kovalenko", "Wang", "Zhang",
            "Tanaka", "Suzuki", "Sharma", "Patel", "Silva", "Santos", "García",
            "Fernández"]
COMPANY_WORDS = ["Maschinenbau", "Logistik", "Elektrotechnik", "Metallbau", "Kunststoff",
                 "Verpackung", "Textil", "Feinmechanik", "Automation", "Antriebstechnik",
                 "Stahlhandel", "Holzbau", "Druckerei", "Spedition", "Präzisionsteile",
                 "Gießerei", "Werkzeugbau", "Chemie", "Pharma", "Lebensmittel",
                 "Software", "Consulting", "Engineering", "Components", "Plastics",
                 "Packaging", "Foods", "Textiles", "Electronics", "Logistics", "Solar",
                 "Batteries", "Castings", "Fasteners", "Hydraulics", "Pumps", "Valves",
                 "Optics", "Sensors", "Coatings", "Paper", "Glass", "Ceramics", "Cables"]
PLACES = ["Nord", "Süd", "West", "Ost", "Rhein", "Main", "Elbe", "Donau", "Alpen",
          "Hanse", "Bavaria", "Saxonia", "Westfalen", "Hessen", "Berlin", "Hamburg",
          "München", "Köln", "Stuttgart", "Dresden", "Leipzig", "Bremen", "Baltic",
          "Atlantic", "Iberia", "Lombardia", "Bohemia", "Silesia", "Anatolia", "Bosporus",
          "Shenzhen", "Ningbo", "Pune", "Penang", "Monterrey", "Curitiba"]
BRANDS = ["Nordstern", "Blauwal", "Silberfuchs", "Eichenlaub", "Sonnenhof", "Lindenberg",
          "Falkenstein", "Rosenthal", "Greenfield", "Bluewater", "Northbridge",
          "Redwood", "Ironside", "Brightline", "Clearpath", "Summit", "Keystone",
          "Horizon", "Meridian", "Vertex"]
NEG_LEGAL = ["GmbH", "GmbH & Co. KG", "AG", "KG", "e.K.", "UG (haftungsbeschränkt)", "SE",
             "Ltd.", "LLC", "Inc.", "S.A.", "S.r.l.", "B.V.", "Sp. z o.o.", "s.r.o.",
             "A/S", "AB", "Oy", "A.Ş.", "Co., Ltd.", "Pvt. Ltd."]


def canon(s):
    s = unicodedata.normalize("NFKD", s.lower())
    s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(sorted(re.sub(r"[^\w]+", " ", s).split()))


def un_entries(path):
    root = ET.parse(path).getroot()
    for tag, subject in (("INDIVIDUAL", "person"), ("ENTITY", "organisation")):
        for e in root.iter(tag):
            ref = (e.findtext("REFERENCE_NUMBER") or "").strip()
            parts = [(e.findtext(p) or "").strip() for p in
                     ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            name = " ".join(p for p in parts if p)
            names = [name]
            for a in e.iter():
                if a.tag.endswith("_ALIAS") and (a.findtext("QUALITY") or "") != "Low":
                    n = (a.findtext("ALIAS_NAME") or "").strip()
                    if n:
                        names.append(n)
            orig = (e.findtext("NAME_ORIGINAL_SCRIPT") or "").strip()
            if orig:
                names.append(orig)
            if ref and name:
                yield "un:" + ref, subject, name, names, orig


def local(tag):
    return tag.rsplit("}", 1)[-1]


def eu_entries(path):
    root = ET.parse(path).getroot()
    for e in root.iter():
        if local(e.tag) != "sanctionEntity":
            continue
        ref = e.get("euReferenceNumber") or e.get("logicalId") or ""
        subject = None
        names = []
        for c in e:
            if local(c.tag) == "subjectType":
                subject = {"person": "person", "enterprise": "organisation"}.get(c.get("code"))
            if local(c.tag) == "nameAlias" and c.get("strong") != "false":
                whole = c.get("wholeName") or " ".join(
                    p for p in (c.get("firstName"), c.get("middleName"), c.get("lastName")) if p)
                if whole.strip():
                    names.append(whole.strip())
        if ref and names and subject:
            yield "eu-fsf:" + ref, subject, names[0], names, script_name(names)


def uk_entries(path):
    root = ET.parse(path).getroot()
    for d in root.iter("Designation"):
        uid = (d.findtext("UniqueID") or "").strip()
        subject = {"Individual": "person", "Entity": "organisation"}.get(
            (d.findtext("IndividualEntityShip") or "").strip())
        names = []
        for n in d.iter("Name"):
            parts = [(n.findtext(f"Name{i}") or "").strip() for i in range(1, 7)]
            whole = " ".join(p for p in parts if p)
            if whole:
                if (n.findtext("NameType") or "") == "Primary Name":
                    names.insert(0, whole)
                else:
                    names.append(whole)
        names += [(x.text or "").strip() for x in d.iter("NameNonLatinScript") if (x.text or "").strip()]
        if uid and names and subject:
            yield "gb-fcdo:" + uid, subject, names[0], names, script_name(names)


def ftm_entries(path):
    import json
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            v = json.loads(line)
            subject = {"Person": "person", "Company": "organisation", "Organization": "organisation",
                       "LegalEntity": "organisation"}.get(v.get("schema"))
            if not v.get("target") or subject is None:
                continue
            props = v.get("properties", {})
            names = [n for k in ("name", "alias") for n in props.get(k, []) if n.strip()]
            latin = [n for n in names if n.isascii()]
            if v.get("id") and names:
                primary = (latin or names)[0]
                yield "opensanctions:" + v["id"], subject, primary, names, script_name(names)


def script_name(names):
    """The first name in Cyrillic or Greek letters, if any."""
    for n in names:
        if any("CYRILLIC" in unicodedata.name(c, "") or "GREEK" in unicodedata.name(c, "") for c in n):
            return n
    return ""


def ofac_entries(sdn, alt):
    aliases = {}
    if alt.is_file():
        with open(alt, newline="", encoding="latin-1") as f:
            for row in csv.reader(f):
                if len(row) > 3:
                    aliases.setdefault(row[0], []).append(row[3].strip())
    with open(sdn, newline="", encoding="latin-1") as f:
        for row in csv.reader(f):
            if len(row) < 3:
                continue
            kind = row[2].strip()
            subject = {"individual": "person", "-0-": "organisation"}.get(kind)
            if subject is None:
                continue
            name = row[1].strip()
            yield "ofac:" + row[0].strip(), subject, name, [name] + aliases.get(row[0], []), ""


def tokens(name):
    return name.replace(",", " ").split()


def typo(rng, name, subject):
    toks = tokens(name)
    idx = [i for i, t in enumerate(toks) if len(t) >= 5 and t.isalpha()]
    if not idx:
        return None
    i = rng.choice(idx)
    t = toks[i]
    p = rng.randrange(1, len(t))
    op = rng.choice(["sub", "del", "ins", "swap"])
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz").upper() if t.isupper() else rng.choice("abcdefghijklmnopqrstuvwxyz")
    if op == "sub":
        t = t[:p] + letter + t[p + 1:]
    elif op == "del":
        t = t[:p] + t[p + 1:]
    elif op == "ins":
        t = t[:p] + letter + t[p:]
    elif p < len(t) - 1:
        t = t[:p] + t[p + 1] + t[p] + t[p + 2:]
    else:
        t = t[:p - 1] + t[p] + t[p - 1]
    toks[i] = t
    return " ".join(toks)


def dropped_token(rng, name, subject):
    toks = tokens(name)
    if len(toks) < 3:
        return None
    i = rng.randrange(len(toks))
    return " ".join(toks[:i] + toks[i + 1:])


def swapped_tokens(rng, name, subject):
    if subject == "person" and "," in name:
        last, first = name.split(",", 1)
        return (first.strip() + " " + last.strip()).strip()
    toks = tokens(name)
    if len(toks) < 2:
        return None
    i = rng.randrange(len(toks) - 1)
    toks[i], toks[i + 1] = toks[i + 1], toks[i]
    return " ".join(toks)


def diacritics_removed(rng, name, subject):
    out = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return out if out != name else None


def to_latin(s):
    out = []
    for c in unicodedata.normalize("NFC", s):
        low = c.lower()
        base = "".join(x for x in unicodedata.normalize("NFD", low) if not unicodedata.combining(x))
        r = CYR_TO_LAT.get(low, GREEK_TO_LAT.get(base))
        if r is None:
            out.append(c)
        else:
            out.append(r.capitalize() if c != low else r)
    return "".join(out)


def to_cyrillic(s):
    out, i, low = [], 0, s.lower()
    while i < len(low):
        for lat, cyr in LAT_TO_CYR:
            if low.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            out.append(low[i])
            i += 1
    return "".join(out)


def transliterated(rng, name, subject, orig):
    if orig and any("CYRILLIC" in unicodedata.name(c, "") or "GREEK" in unicodedata.name(c, "") for c in orig):
        return to_latin(orig)
    if rng.random() < 0.25 and name.isascii():
        return to_cyrillic(name)
    return None


def umlaut_ue(rng, name, subject):
    if any(c in UMLAUTS for c in name):
        return "".join(UMLAUTS.get(c, c) for c in name)
    # The lists write umlauts as two letters; a German ERP writes the umlaut.
    for two, one in (("UE", "Ü"), ("OE", "Ö"), ("AE", "Ä"), ("ue", "ü"), ("oe", "ö"), ("ae", "ä")):
        at = name.find(two, 1)
        if at > 0 and name[at - 1].isalpha():
            return name[:at] + one + name[at + 2:]
    return None


def legal_form_changed(rng, name, subject):
    if subject != "organisation":
        return None
    toks = tokens(name.replace(".", " "))
    for form in sorted(LEGAL_FORMS, key=lambda f: -len(f.split())):
        n = len(form.split())
        if len(toks) > n and " ".join(toks[-n:]).upper() == form:
            new = rng.choice([f for f in NEW_LEGAL_FORMS if canon(f) != canon(form)])
            return " ".join(toks[:-n]) + " " + new
    return name + " " + rng.choice(NEW_LEGAL_FORMS)


def noise_words(rng, name, subject):
    if subject == "person":
        return rng.choice(PERSON_NOISE) + " " + name
    word = rng.choice(ORG_NOISE)
    return ("THE " + name) if word == "THE" else (name + " " + word)


KINDS = [
    ("typo", typo), ("dropped_token", dropped_token), ("swapped_tokens", swapped_tokens),
    ("diacritics_removed", diacritics_removed), ("transliterated", None),
    ("umlaut_ue", umlaut_ue), ("legal_form_changed", legal_form_changed),
    ("noise_words", noise_words),
]


def negatives(rng, n):
    out = []
    for i in range(n):
        r = i % 4
        if r == 0:
            out.append(("person", rng.choice(GIVEN) + " " + rng.choice(SURNAMES)))
        elif r == 1:
            out.append(("company", f"{rng.choice(SURNAMES)} {rng.choice(COMPANY_WORDS)} {rng.choice(NEG_LEGAL)}"))
        elif r == 2:
            out.append(("company", f"{rng.choice(PLACES)} {rng.choice(COMPANY_WORDS)} {rng.choice(NEG_LEGAL)}"))
        else:
            out.append(("company", f"{rng.choice(BRANDS)} {rng.choice(COMPANY_WORDS)} {rng.choice(NEG_LEGAL)}"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--real-lists", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--ofac-every", type=int, default=1,
                    help="use every n-th OFAC designation (default: every one)")
    ap.add_argument("--negatives", type=int, default=3000)
    a = ap.parse_args()
    un = list(un_entries(a.real_lists / "un-sc-xml/UN_consolidated.xml"))
    full = a.real_lists / "ofac-sdn-csv/full-2019"
    ofac = list(ofac_entries(full / "sdn.csv", full / "alt.csv"))
    eu = list(eu_entries(a.real_lists / "eu-fsf-xml/sample_eu_fsf.xml"))
    uk = list(uk_entries(a.real_lists / "uk-fcdo-xml/sample_uk_sanctions.xml"))
    ftm = [e for f in ("t1_eu_fsf_entities.ftm.json", "zala_entities.ftm.json")
           for e in ftm_entries(a.real_lists / "opensanctions-ftm" / f)]
    listed = set()
    for _, _, _, names, _ in un + ofac + eu + uk + ftm:
        listed.update(canon(n) for n in names)
    entries = un + ofac[:: a.ofac_every] + eu + uk + ftm
    a.out.mkdir(parents=True, exist_ok=True)
    rows, truth = [], []
    for designation, subject, name, _, orig in entries:
        for kind, fn in KINDS:
            rng = random.Random(f"{SEED}:{designation}:{kind}")
            v = transliterated(rng, name, subject, orig) if fn is None else fn(rng, name, subject)
            if v is None or not v.strip() or v == name:
                continue
            sid = f"V{len(rows) + 1:06d}"
            rows.append((sid, v))
            truth.append((sid, kind, designation, name))
    rng = random.Random(SEED + ":negatives")
    dropped = 0
    seen = set()
    for kind, name in negatives(rng, a.negatives * 2):
        if len(seen) >= a.negatives:
            break
        c = canon(name)
        if c in seen:
            continue
        if c in listed:
            dropped += 1
            continue
        seen.add(c)
        sid = f"N{len(seen):06d}"
        rows.append((sid, name))
        truth.append((sid, "negative_" + kind, "", ""))
    with open(a.out / "suppliers.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["supplier_id", "name"])
        w.writerows(rows)
    with open(a.out / "truth.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["supplier_id", "kind", "expected", "original"])
        w.writerows(truth)
    print(f"{len(entries)} designations, {len(truth) - len(seen)} variants, {len(seen)} negatives "
          f"({dropped} generated names left out as listed)", file=sys.stderr)


if __name__ == "__main__":
    main()
