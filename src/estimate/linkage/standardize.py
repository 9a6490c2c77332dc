"""Standardise the identifying fields of victim lists before linkage: names, sex, age, dates, places.

Monitors spell the same person differently: "Mohammed Abdul-Rahman Al-Hassan" on one list is "MUHAMMAD ABD
AL RAHMAN HASAN" on another and "José María Pérez" is "JOSE MARIA PEREZ".  Record linkage compares fields with
string similarities, so differences that carry no information about identity are removed first:

* case (``str.casefold``) and accents (Unicode NFKD decomposition, combining marks dropped, plus the few Latin
  letters that do not decompose: ø, ł, đ, ß, æ, œ, ı, ħ, þ);
* other scripts are romanised (``anyascii``: Cyrillic, Greek, Hebrew, Arabic, Persian, CJK ...), so that a list
  kept in Arabic script links with itself and, through the consonant skeleton of :func:`name_key`, with lists
  that transliterate: vowel marks (harakat) are dropped, the word-initial article ال is ``al-``, alif is ``a``,
  ʿayn ``e`` (``a`` in ʿAbd), a final tāʾ marbūṭa / hāʾ ``a``, so that distinct names stay distinct (عمر ``emr``,
  عامر ``eamr``) while the skeletons follow the conventions of the Latin spellings
  (محمد → ``mhmd``, skeleton ``mhmd`` as Muhammad's; عبد الله → ``abdala`` as Abdullah's; فاطمة → ``ftma``,
  skeleton ``ftm`` as Fatima's).  Digits of other scripts (٣٤, ۱۹۹۰) are read as digits;
* the order "FAMILY, Given Father" (a comma) is turned into "Given Father FAMILY";
* punctuation, apostrophes and transliteration marks of ʿayn / hamza (``Ja'far`` = ``Jaʿfar`` = ``Jafar``);
* particles and articles that lists keep or drop (``al-``, ``el-``, ``de la``, ``bin``, ``ibn`` ...), except in
  the theophoric compounds ``Abd al-X`` = ``Abdul X`` = ``Abdel X`` = ``Abdulx``, which are joined into one token
  ``abdalx`` because the article there is part of the name; likewise ``Abu Bakr`` = ``Abou-Bakr`` = ``abubakr``.
  A particle that is also a given name (``Ben``, ``Van``, ``Del``, ``Do`` ...) is kept as the first word of a
  full name: "Ben Smith" is not "Smith";
* transliteration variants of Arabic names: a light phonetic folding (doubled letters, ``ou``/``oo`` → ``u``,
  ``ee`` → ``i``, ``ph`` → ``f``, final ``-ah`` → ``-a``) and a table of variant groups that the folding does
  not reach (Mohammed / Muhammad / Mohamed / Mohd → ``muhamad``, Hussein / Husayn / Hossein → ``husayn`` ...).

The standardised name is an internal matching key, not a display form: it is never written to any output.

Dates are parsed per list (a list uses one format; ``dayfirst`` as most monitors outside the US write day/month);
unreadable dates become missing rather than errors, because a missing field only lowers the evidence for a match.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from anyascii import anyascii

from estimate.errors import DataError

__all__ = [
    "ROLES",
    "fold_text",
    "standardize_name",
    "name_parts",
    "name_key",
    "standardize_place",
    "standardize_sex",
    "standardize_age",
    "standardize_date",
    "standardize_frame",
]

#: The identifying fields a list can declare, in the order the CLI documents them.
ROLES = ("name", "sex", "age", "date", "place")

# Latin letters that NFKD does not decompose into a base letter plus a combining mark.
_SPECIAL_LETTERS = str.maketrans({
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th",
    "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "ħ": "h", "Ħ": "h", "ß": "ss",
})
# Apostrophes and the modifier letters used for ʿayn and hamza in transliteration: removed, not spaced.
_MARKS = re.compile(r"[\u0027\u0060\u00b4\u2018\u2019\u02bb\u02bc\u02be\u02bf\u02b9\u02c8]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# Arabic script, before romanisation (after NFKD, which turns أ إ آ ؤ ئ into the bare letter plus a mark).
_AR_LETTER = "\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"
_AR_ARTICLE = re.compile(f"(?<![{_AR_LETTER}])\u0627\u0644(?=[{_AR_LETTER}]{{2}})")  # ال + at least 2 letters
# word-initial alif; the ʿayn of ʿAbd
_AR_INITIAL_VOWEL = re.compile(f"(?<![{_AR_LETTER}])(?:[\u0627\u0671]|\u0639(?=\u0628\u062f))")
_AR_FINAL_A = re.compile(f"(?<=[{_AR_LETTER}])[\u0629\u0647](?![{_AR_LETTER}])")  # final tāʾ marbūṭa / hāʾ
_AR_ANY = re.compile(f"[{_AR_LETTER}]")
# decimal digits of every script (Arabic-Indic ٠–٩, Persian ۰–۹, Devanagari ...) to ASCII
_DIGITS = str.maketrans({chr(c): str(unicodedata.decimal(chr(c))) for c in range(0x80, 0x10000)
                         if unicodedata.category(chr(c)) == "Nd"})

# "Abd al-Rahman", "Abdul Rahman", "Abdel-Rahman", "Abd-ur-Rahman", "Abdulrahman" -> "abdalrahman".
_ABD = re.compile(r"\babd(?:[ -]?(?:al|el|ul|il|ur|ar|as|ad|az|ash|an|at|er|es|en|ed)[ -]+|[ -]+|(?:al|el|ul|u|e)"
                  r"(?=[a-z]))(?=[a-z])")
# "Abu Bakr", "Abou-Bakr", "Abubakr" -> one token: the kunya / family name is one name, and split in two its
# "abu" would pass for a father's name.
_ABU = re.compile(r"\b(?:abu|abou|abo|abw)[ -]+(?=[a-z])")
# Hyphenated (assimilated) articles: al-, el-, ad-, ar-, as-, ash-, az-, an-, at-, ud-, ed-, ...
_HYPHEN_ARTICLE = re.compile(r"\b(?:al|el|ul|il|ad|ar|as|ash|az|an|at|ud|ed|es|er|en|et|ez)-")
# Particles that some lists write and others drop.
_PARTICLES = frozenset({
    "al", "el", "ul", "il", "bin", "ibn", "bint", "ben", "ould", "de", "del", "la", "las", "los", "da", "das", "do",
    "dos", "di", "du", "van", "von", "der", "den", "y", "e", "mr", "mrs", "ms", "dr", "sr", "sra", "sheikh",
})
# Particles that are also given names: kept as the first word of a full name ("Ben Smith" is not "Smith")
_GIVEN_NAME_PARTICLES = frozenset({"ben", "van", "del", "da", "di", "do", "du"})

# Variant groups the phonetic folding leaves apart; keys are *folded* forms, values the canonical token.
_VARIANT_GROUPS: dict[str, tuple[str, ...]] = {
    "muhamad": ("mohamed", "mohamad", "muhamed", "mohammed", "mouhamad", "mohd", "mhd", "mehmet", "mohamad",
                "muhamet", "mohamud"),
    "ahmad": ("ahmed", "ahmet", "ahmd"),
    "mahmud": ("mahmod", "mahmut"),
    "husayn": ("husein", "husain", "hosein", "hosain", "husin", "hussayn", "huseyin", "hosayn"),
    "hasan": ("hasen", "hassen", "hasane"),
    "abdala": ("abdula", "abdela", "abdalah", "abdulah", "abdelah", "abdalala"),
    "yusuf": ("yusef", "yosef", "yusif", "yosif", "yousif", "yusof", "yossef", "yusuph"),
    "umar": ("omar", "omer", "umer"),
    "uthman": ("othman", "osman", "usman", "otman", "utman"),
    "khalid": ("khaled", "kaled", "halid", "khalit"),
    "said": ("saed", "saeid", "saiid", "saied", "sayid"),
    "mustafa": ("mostafa", "moustafa", "mustapha", "mostapha", "mustafah"),
    "ibrahim": ("ebrahim", "ibrahem", "ibraheem", "ebraheem", "ibrahima"),
    "ismail": ("ismael", "esmail", "ismayil", "ismayl"),
    "sulayman": ("sulaiman", "suleiman", "soliman", "sleiman", "suleyman", "sulaymen", "solaiman", "suliman"),
    "yahya": ("yehia", "yahia", "yehya", "yahiya"),
    "zakariya": ("zakaria", "zakariyya", "zakariya", "zakarya", "zakariyah"),
    "tarik": ("tarek", "tareq", "tariq", "tarik", "tarikh"),
    "kasim": ("qasim", "kassem", "qassem", "qasem", "kasem"),
    "muhsin": ("mohsen", "mohsin", "muhsen"),
    "jafar": ("jaafar", "jafer", "djafar"),
    "abas": ("abbas",),
    "ali": ("aly", "aliy"),
    "salih": ("saleh", "salah", "salech"),
    "nasir": ("naser", "nasser", "nassir", "nacer"),
    "hamid": ("hamed",),
    "zaynab": ("zainab", "zeinab", "zaineb", "zeynab", "zeynep"),
    "aisha": ("ayesha", "aysha", "aicha", "aishah", "ayisha", "aiesha"),
    "fatima": ("fatma", "fatema", "fatimeh", "fatemeh", "fatime", "fatuma"),
    "maryam": ("mariam", "meryem", "mariyam", "miriam"),
    "layla": ("leila", "laila", "leyla", "lejla", "laela"),
    "khadija": ("khadidja", "khadeeja", "kadija", "hatice", "khadijeh"),
    "nur": ("nor", "noor"),
    "huda": ("houda", "hoda"),
    "amina": ("ameena", "aminah", "emine"),
    "rukaya": ("ruqaya", "ruqayya", "rukaiya", "rokaya", "rukiye"),
    "abu": ("abou", "abo", "abw"),
    "rahman": ("rahmane", "rehman", "rahmen"),
    "abdalrahman": ("abdalrehman", "abdalrahmane", "abdalrahmen"),
    "abdalkadir": ("abdalqadir", "abdalkader", "abdalqader", "abdalkadr", "abdalgadir"),
    "abdalaziz": ("abdalazeez",),
    "abdalkarim": ("abdalkerim",),
    "abdalmajid": ("abdalmajeed", "abdalmadjid", "abdalmajed"),
    "abdalhamid": ("abdalhamed",),
    "abdalatif": ("abdalatef", "abdallatif"),
}
_CANONICAL: dict[str, str] = {}
for _canonical, _variants in _VARIANT_GROUPS.items():
    _CANONICAL[_canonical] = _canonical
    for _variant in _variants:
        _CANONICAL[_variant] = _canonical

_SEX = {
    "f": "f", "female": "f", "woman": "f", "girl": "f", "femme": "f", "feminin": "f", "femenino": "f", "mujer": "f",
    "w": "f", "weiblich": "f", "k": "f",
    "m": "m", "male": "m", "man": "m", "boy": "m", "homme": "m", "h": "m", "masculin": "m", "masculino": "m",
    "hombre": "m", "mannlich": "m", "v": "m",
    # romanised from other scripts (Arabic, Persian, Russian, Ukrainian, Hebrew, Turkish)
    "dhkr": "m", "antha": "f", "mrd": "m", "zn": "f", "muzh": "m", "muzhskoi": "m", "muzhchina": "m", "zh": "f",
    "zhen": "f", "zhenskii": "f", "zhenshchina": "f", "cholovik": "m", "cholovicha": "m", "cholovichii": "m",
    "zhinka": "f", "zhinocha": "f", "zhinochii": "f", "zkhr": "m", "nkvh": "f", "erkek": "m", "kadin": "f",
}

_MISSING_STRINGS = frozenset({"", "na", "n a", "nan", "none", "null", "unknown", "unk", "desconocido", "inconnu", "x",
                              "not known", "no data", "sin dato", "sin datos", "nd"})


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


def _romanised(text: str) -> str:
    """``text`` (NFKD, marks removed) in Latin letters: Arabic-script conventions first, then ``anyascii``."""
    if text.isascii():
        return text
    text = text.translate(_DIGITS)
    if _AR_ANY.search(text):
        text = _AR_ARTICLE.sub("al-", text)
        text = _AR_INITIAL_VOWEL.sub("a", text)
        text = _AR_FINAL_A.sub("a", text)
        # anyascii drops alif and ʿayn, which made عمر / عامر / عمار all "amr", حامد / حمد and سعيد / سيد alike:
        # alif is ā ("a"), ʿayn a vowel-like "e" (the consonant skeleton drops both after the first letter, so
        # ʿUmar's "emr" keeps Umar's skeleton "amr"); the ʿayn of ʿAbd is "a" above, for the Abd-al-X rule
        text = text.replace("\u0627", "a").replace("\u0639", "e")
    return anyascii(text)


def _plain(text: str) -> str:
    """Accents and marks removed, other scripts romanised, casefolded, apostrophes and ʿayn/hamza marks removed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _MARKS.sub("", _romanised(stripped).translate(_SPECIAL_LETTERS).casefold())


def fold_text(text: object) -> str:
    """Casefold, strip accents and apostrophes, turn every other non-alphanumeric run into one space.

    >>> fold_text("  José-María  PÉREZ ")
    'jose maria perez'
    >>> fold_text("Jaʿfar al-Ṣādiq")
    'jafar al sadiq'
    >>> fold_text("Олександр")
    'oleksandr'
    """
    if _is_missing(text):
        return ""
    return _NON_ALNUM.sub(" ", _plain(str(text))).strip()


def _fold_token(token: str) -> str:
    """Phonetic folding that merges common transliteration spellings of one token (repeated to a fixed point)."""
    previous = None
    while token != previous:
        previous = token
        token = token.replace("ph", "f").replace("ck", "k").replace("ou", "u").replace("oo", "u").replace("ee", "i")
        token = re.sub(r"(.)\1+", r"\1", token)  # doubled letters: Mohammed -> mohamed, Hassan -> hasan
        if len(token) > 3 and token.endswith("ah"):
            token = token[:-1]  # Fatimah -> fatima, Abdallah -> abdala
    return _CANONICAL.get(token, token)


def _name_tokens(text: object, drop: frozenset[str] = frozenset(), *, given_first: bool = False) -> list[str]:
    if _is_missing(text):
        return []
    text = str(text)
    if "," in text:  # "FAMILY, Given Father" -> "Given Father FAMILY"
        family, _, given = text.partition(",")
        text = f"{given} {family}"
    lowered = _plain(text)
    if _NON_ALNUM.sub(" ", lowered).strip() in _PLACEHOLDERS:  # fold_text of the name, from the same pass
        return []
    # keep hyphens for the article rules, turn everything else non-alphanumeric into spaces
    lowered = re.sub(r"[^0-9a-z-]+", " ", lowered)
    lowered = re.sub(r"\s*-\s*", "-", lowered)
    lowered = _ABD.sub("abdal", lowered)
    lowered = _ABU.sub("abu", lowered)
    lowered = _HYPHEN_ARTICLE.sub("", lowered)
    tokens = _without_particles([t for t in _NON_ALNUM.sub(" ", lowered).split() if not t.isdigit()], drop,
                                given_first)
    # a folded token can itself be a particle ("ell" -> "el"): drop it too, so standardising is idempotent
    folded = _without_particles([_fold_token(t) for t in tokens], drop, given_first)
    # and the folded name can be a placeholder ("Naa" -> "na", read as NA): missing then, as it is read again
    return [] if " ".join(folded) in _PLACEHOLDERS else folded


def _without_particles(tokens: list[str], drop: frozenset[str], given_first: bool) -> list[str]:
    """``tokens`` without particles and the words in ``drop``.  With ``given_first`` (full names, not places) a
    particle that is also a given name ("Ben Smith", "Van Nguyen") is kept when it comes first, after any titles,
    where a full name written given name first has it; a name written family first without a comma ("SMITH
    Ben") still loses it."""
    kept: list[str] = []
    for token in tokens:
        if token in drop:
            continue
        if token in _PARTICLES and not (given_first and not kept and token in _GIVEN_NAME_PARTICLES):
            continue
        kept.append(token)
    return kept


# what lists write for a victim whose name is not known: a missing name, not a name shared by all such victims
# (compared folded, so the Arabic ones in their romanised form)
_PLACEHOLDERS = frozenset({
    "unknown", "unidentified", "unidentified person", "unidentified body", "unnamed", "no name", "anonymous", "nn",
    "n n", "nameless", "desconocido", "desconocida", "sin nombre", "no identificado", "no identificada", "nn nn",
    "inconnu", "inconnue", "sans nom", "x x", "xx", "unknown unknown",
}) | _MISSING_STRINGS | frozenset(fold_text(word) for word in (
    "مجهول", "مجهولة", "مجهول الهوية", "مجهولة الهوية", "غير معروف", "غير معروفة", "بدون اسم", "لا يوجد"))


def standardize_name(text: object) -> str:
    """Standardised full name: folded, particles dropped, transliteration variants made canonical.

    Returns ``""`` for a missing or empty name.

    >>> standardize_name("Mohammed Abdul-Rahman Al-Hassan")
    'muhamad abdalrahman hasan'
    >>> standardize_name("MUHAMMAD ABD AL RAHMAN HASAN")
    'muhamad abdalrahman hasan'
    >>> standardize_name("María de la Cruz Pérez")
    'maria cruz perez'
    """
    return " ".join(_name_tokens(text, given_first=True))


def name_parts(standardized: str) -> tuple[str | None, str | None, str | None]:
    """``(given, middle, family)`` of a standardised name: first token, inner tokens, last token.

    A one-token name is a given name with unknown family name; middle is ``None`` when there are no inner tokens.
    """
    tokens = standardized.split()
    if not tokens:
        return None, None, None
    if len(tokens) == 1:
        return tokens[0], None, None
    middle = " ".join(tokens[1:-1]) or None
    return tokens[0], middle, tokens[-1]


def name_key(token: str | None) -> str | None:
    """Consonant skeleton of a standardised name or place, for blocking and a "same skeleton" comparison level.

    Transliterations of Arabic differ mostly in vowels and semi-vowels (Hiba / Heba, Ziad / Ziyad, Faisal /
    Faysal, Obeid / Ubayd) and in a few consonant spellings (ch / sh, q / k / c), so the skeleton keeps the first
    letter (any initial vowel becomes ``a``), maps ch → sh, q and c → k, z → s, drops a, e, i, o, u, y, w after
    the first letter and collapses doubled letters.  Different names can share a skeleton (Mahmud and Muhammad:
    ``mhmd``); the linkage model learns how much a shared skeleton is worth.

    >>> name_key("tarik"), name_key("tarek"), name_key("obeid"), name_key("ubayd")
    ('trk', 'trk', 'abd', 'abd')
    """
    if not token:
        return None
    token = token.replace(" ", "").replace("ch", "sh").replace("q", "k").replace("c", "k").replace("z", "s")
    head = "a" if token[0] in "aeiouy" else token[0]
    tail = re.sub(r"[aeiouyw]", "", token[1:])
    return re.sub(r"(.)\1+", r"\1", head + tail) or None


def standardize_place(text: object) -> str | None:
    """Standardised place: folded, articles and generic words dropped, transliteration folding; None if missing.

    >>> standardize_place("Al-Qusayr (village)") == standardize_place("el Qusayr")
    True
    """
    return " ".join(_name_tokens(text, _PLACE_WORDS)) or None


_PLACE_WORDS = frozenset({"village", "town", "city", "district", "camp", "municipality", "province", "governorate",
                          "neighbourhood", "neighborhood", "quarter", "pueblo", "ciudad", "municipio", "aldea",
                          "vereda", "barrio", "ville", "near", "outskirts", "of"})


def standardize_sex(value: object) -> str | None:
    """``"f"``, ``"m"`` or None (missing or not recognised)."""
    folded = fold_text(value)
    return _SEX.get(folded)


def _is_missing_string(value: str) -> bool:
    return fold_text(value) in _MISSING_STRINGS


# units of an age, in the languages of the lists this package meets (en, es, fr, pt; ar, ru, uk in their own scripts)
_YEARS_UNIT = r"(?:years?|yrs?\.?|y\.?o\.?|a[ñn]os?|ans?|anos?|سنة|سنوات|سنين|عام|أعوام|اعوام|год|лет|рок|років)"
_MONTHS_UNIT = r"(?:months?|mos?\.?|meses|mes|mois|شهر|أشهر|اشهر|شهور|мес|міс)"
_WEEKS_UNIT = r"(?:weeks?|wks?\.?|semanas?|semaines?|أسبوع|اسبوع|أسابيع|اسابيع|недел|тиж)"
_DAYS_UNIT = r"(?:days?|d[ií]as?|jours?|يوم|أيام|ايام|дн|ден|день)"
_HOURS_UNIT = r"(?:hours?|hrs?\.?|h\b|horas?|heures?|ساعة|ساعات|час)"
_NUMBER = r"(\d+(?:[.,]\d+)?)"


def _age_in_years(text: str | None) -> float:
    """One age text in years: "34", "34 years", "1 year 6 months" (1), "6 months" (0.5), "-3" (NaN)."""
    if text is None:
        return math.nan
    text = text.strip().lower()
    if re.match(r"^[-−–]\s*\d", text):  # a negative age is an error, not an age
        return math.nan
    for unit, per_year in ((_YEARS_UNIT, 1.0), (_MONTHS_UNIT, 12.0), (_WEEKS_UNIT, 52.18), (_DAYS_UNIT, 365.25),
                           (_HOURS_UNIT, 8766.0)):
        found = re.search(_NUMBER + r"\s*" + unit, text)
        if found:  # the largest unit written decides ("1 year 6 months" is 1 year old)
            return float(found.group(1).replace(",", ".")) / per_year
    found = re.search(_NUMBER, text)
    return float(found.group(1).replace(",", ".")) if found else math.nan


def standardize_age(values: Iterable[object]) -> pd.Series:
    """Ages in whole years as a float Series (NaN if missing, unreadable, negative or outside 0–120).

    Accepts numbers and strings such as ``"34"``, ``"34 years"``, ``"~34"``, ``"٣٤"``; an age in months, weeks,
    days or hours (``"6 months"``, ``"2 weeks"``, ``"3 días"``, ``"10 mois"``, ``"٦ أشهر"``, ``"3 hrs"``) is
    converted (an infant is 0 years old, not 6), and "1 year 6 months" is 1.
    """
    series = pd.Series(list(values) if not isinstance(values, pd.Series) else values, dtype=object)
    strings = series.astype("string").str.translate(_DIGITS)
    ages = np.array([_age_in_years(None if pd.isna(v) else str(v)) for v in strings], dtype=float)
    ages = np.floor(ages)
    ages[(ages < 0) | (ages > 120)] = np.nan
    return pd.Series(ages, index=series.index, dtype=float)


def standardize_date(values: Iterable[object], *, dayfirst: bool = True, date_format: str | None = None) -> pd.Series:
    """ISO dates ``YYYY-MM-DD`` (object Series, None where the value is absent or unreadable).

    ``date_format`` (a ``strftime`` format) is used when given.  Otherwise dates written year first (ISO,
    ``2012/05/03``, ``20120503``) are read as year-month-day, a year alone or a month and year (``2012``,
    ``March 2012``, ``03/2012``) counts as missing (read as a day, it would match exactly), and every other value
    is parsed on its own (``format="mixed"``), reading ambiguous day/month orders as ``dayfirst``.

    >>> standardize_date(["2012-05-03", "03/05/2012", "5 March 2012", "unknown"], dayfirst=False).tolist()
    ['2012-05-03', '2012-03-05', '2012-03-05', None]
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    text = pd.Series([None if _is_missing(v) or _is_missing_string(str(v)) else str(v).translate(_DIGITS).strip()
                      for v in series], index=series.index, dtype=object)
    if date_format is not None:
        parsed = pd.to_datetime(text, format=date_format, errors="coerce")
    else:
        # year first (2012-05-03, 2012/05/03, 2012.05.03, 20120503) is always year-month-day, whatever dayfirst
        year_first = text.str.fullmatch(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}").fillna(False).astype(bool)
        compact = text.str.fullmatch(r"(?:1[89]|20)\d{2}[01]\d[0-3]\d").fillna(False).astype(bool)
        # a year alone or a month and year is not a date of death: read as a day it would match exactly
        partial = text.str.fullmatch(r"\d{4}|\d{1,2}[-/.]\d{4}|\d{4}[-/.]\d{1,2}|[^\W\d_]+\.?,?\s+\d{4}").fillna(
            False).astype(bool) & ~compact
        parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]")
        if year_first.any():
            normalised = text[year_first].str.replace(r"[/.]", "-", regex=True)
            parsed[year_first] = pd.to_datetime(normalised, format="%Y-%m-%d", errors="coerce")
        if compact.any():
            parsed[compact] = pd.to_datetime(text[compact], format="%Y%m%d", errors="coerce")
        rest = ~year_first & ~compact & ~partial & text.notna()
        if rest.any():
            parsed[rest] = pd.to_datetime(text[rest], format="mixed", dayfirst=dayfirst, errors="coerce")
    return pd.Series([None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in parsed], index=series.index,
                     dtype=object)


def date_order_evidence(values: Iterable[object]) -> tuple[int, int]:
    """How many numeric dates ``a/b/yyyy`` (or with ``-`` or ``.``) can only be day first (a > 12) and how many
    only month first (b > 12): a list written one way shows it in every date after the 12th of a month."""
    text = pd.Series([str(v).translate(_DIGITS).strip() for v in values if not _is_missing(v)], dtype=object)
    parts = text.str.extract(r"^(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}$").dropna().astype(int)
    if parts.empty:
        return 0, 0
    return int(((parts[0] > 12) & (parts[1] <= 12)).sum()), int(((parts[1] > 12) & (parts[0] <= 12)).sum())


def _as_role_map(id_columns: Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    """``{role: column}`` from a mapping, or from ``"role"`` / ``"role=column"`` strings."""
    if isinstance(id_columns, Mapping):
        mapping = {str(k): str(v) for k, v in id_columns.items()}
    else:
        mapping = {}
        for item in id_columns:
            role, _, column = str(item).partition("=")
            if role.strip() in mapping:  # name=a,name=b: the first would be ignored without a word
                raise DataError(f"identifying field {role.strip()!r} is declared twice in {list(id_columns)}")
            mapping[role.strip()] = (column or role).strip()
    unknown = [r for r in mapping if r not in ROLES]
    if unknown:
        raise DataError(f"unknown identifying field(s) {unknown}: declare some of {list(ROLES)}, optionally as "
                        "role=column (e.g. name=full_name,date=date_of_death)")
    if "name" not in mapping:
        raise DataError("the identifying fields must include the name (e.g. --id-columns name,sex,age,date,place "
                        "or name=full_name,...)")
    return mapping


def standardize_frame(frame: pd.DataFrame, id_columns: Mapping[str, str], *, dayfirst: bool = True,
                      date_format: str | None = None) -> pd.DataFrame:
    """Standardised linkage fields of one list (index preserved).

    Columns: ``name`` (full standardised name), ``given``, ``middle``, ``family``, ``given_key``, ``family_key``
    and, when declared, ``sex``, ``age``, ``date``, ``place``, ``place_key``.  Missing values are None/NaN.
    """
    out = pd.DataFrame(index=frame.index)
    names = frame[id_columns["name"]].map(standardize_name)
    parts = [name_parts(n) for n in names]
    out["name"] = [n or None for n in names]
    out["given"] = [p[0] for p in parts]
    out["middle"] = [p[1] for p in parts]
    out["family"] = [p[2] for p in parts]
    out["given_key"] = [name_key(p[0]) for p in parts]
    out["family_key"] = [name_key(p[2]) for p in parts]
    if "sex" in id_columns:
        out["sex"] = frame[id_columns["sex"]].map(standardize_sex)
    if "age" in id_columns:
        out["age"] = standardize_age(frame[id_columns["age"]])
    if "date" in id_columns:
        out["date"] = standardize_date(frame[id_columns["date"]], dayfirst=dayfirst, date_format=date_format)
    if "place" in id_columns:
        out["place"] = frame[id_columns["place"]].map(standardize_place)
        out["place_key"] = out["place"].map(name_key, na_action="ignore")
    return out
