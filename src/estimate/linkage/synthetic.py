"""Synthetic victim lists with known truth, for tests, benchmarks and the README demo.

A closed population of ``N`` people is drawn, each with a name, sex, age, date and place of death and region.
Names come from a mix of two naming traditions: Arabic names written in Latin letters (given name, father's name,
family name, each in one of its common transliterations: Mohammed / Muhammad / Mohamed, Abd al-Rahman / Abdul
Rahman / Abdulrahman, Al-Hassan / El Hassan / Hasan ...) and Spanish names (one or two given names, two
surnames, with accents).  Deaths cluster in events (several people killed at one place on one date), so
different people share dates, places and common names, as in real data.

Capture follows a latent-class model with a regional effect (the data-generating model of LCMCR, Manrique-Vallier
2016, with list coverage varying by region):

    z_i ~ Categorical(w),     x_ij | z_i = c, region_i = r ~ Bernoulli(min(1, p_cj · m_rj)).

Each list then publishes its records the way a real monitor would: its own spelling habits (house style for
transliterations, upper case, accents dropped, "FAMILY, Given" order, father's name omitted), typographical
errors, ages off by a year or more, dates off by a few days or in another format, misspelt or missing places,
missing fields, duplicate records of the same person within the list, and a free-text ``notes`` column.  The
person id of every record is kept apart as the truth.

Randomness comes only from ``numpy.random.Generator(PCG64(SeedSequence(seed)))`` with one child sequence for the
population and one per list, so the same seed gives the same lists on every machine.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estimate._checks import check_seed
from estimate.errors import DataError

__all__ = ["SyntheticLists", "synthetic_lists", "LIST_STYLES"]

# --- name pools: each entry is a tuple of spellings of one name (first = most common transliteration) ----------

ARABIC_MALE: tuple[tuple[str, ...], ...] = (
    ("Mohammed", "Muhammad", "Mohamed", "Mohammad", "Mohamad"),
    ("Ahmed", "Ahmad"), ("Ali", "Aly"), ("Hussein", "Husayn", "Hussain", "Hossein"), ("Hassan", "Hasan"),
    ("Omar", "Umar"), ("Khaled", "Khalid"), ("Youssef", "Yusuf", "Yousef", "Yousif"), ("Ibrahim", "Ebrahim"),
    ("Mustafa", "Mostafa", "Moustafa"), ("Abd al-Rahman", "Abdul Rahman", "Abdel Rahman", "Abdulrahman"),
    ("Abdullah", "Abdallah", "Abd Allah"), ("Mahmoud", "Mahmud", "Mahmood"), ("Said", "Saeed", "Saied"),
    ("Tariq", "Tarek", "Tareq"), ("Samir", "Sameer"), ("Walid", "Waleed"), ("Karim", "Kareem"), ("Jamal",),
    ("Bilal",), ("Hamza", "Hamzah"), ("Yassin", "Yasin", "Yaseen"), ("Faisal", "Faysal"), ("Nasser", "Naser", "Nasir"),
    ("Salim", "Saleem"), ("Rami",), ("Ziad", "Ziyad"), ("Adnan",), ("Imad", "Emad"), ("Majid", "Majed"),
    ("Jafar", "Ja'far", "Jaafar"), ("Abd al-Qadir", "Abdul Qadir", "Abdelkader", "Abdel Kader"),
    ("Sulayman", "Suleiman", "Sulaiman"), ("Ismail", "Ismael", "Ismaeel"), ("Yahya", "Yehia"), ("Othman", "Uthman"),
    ("Abd al-Aziz", "Abdul Aziz", "Abdelaziz"), ("Qasim", "Kassem", "Qassem"), ("Anas",), ("Firas",), ("Ghassan",),
    ("Hisham", "Hesham"), ("Munir", "Mounir"), ("Nabil", "Nabeel"), ("Rashid", "Rachid"), ("Sami", "Samy"),
    ("Wael", "Wa'il"), ("Zakariya", "Zakaria"), ("Bassam",), ("Fadi",), ("Hadi",), ("Jihad",), ("Louay", "Luay"),
)
ARABIC_FEMALE: tuple[tuple[str, ...], ...] = (
    ("Fatima", "Fatimah", "Fatma"), ("Aisha", "Ayesha", "Aysha"), ("Zainab", "Zaynab", "Zeinab"),
    ("Maryam", "Mariam"), ("Layla", "Leila", "Laila"), ("Khadija", "Khadijah", "Khadeeja"), ("Nour", "Noor", "Nur"),
    ("Huda", "Houda"), ("Amina", "Aminah"), ("Rania",), ("Hala",), ("Samira", "Sameera"), ("Salma",),
    ("Yasmin", "Yasmine"), ("Nadia", "Nadya"), ("Rana",), ("Dina",), ("Lina",), ("Reem", "Rim"), ("Suha",),
    ("Hiba", "Heba"), ("Asma", "Asmaa"), ("Sara", "Sarah"), ("Ruqayya", "Ruqaya", "Rukaya"), ("Ghada",),
    ("Widad", "Wedad"), ("Najwa",), ("Souad", "Suad"), ("Jamila", "Jameela"), ("Manal",),
)
ARABIC_FAMILY: tuple[tuple[str, ...], ...] = (
    ("Al-Hassan", "El Hassan", "Hassan"), ("Al-Ahmad", "Al Ahmed", "Ahmad"), ("Haddad",), ("Khalil", "Khaleel"),
    ("Ibrahim",), ("Hussein", "Husayn"), ("Mansour", "Mansur"), ("Nasser", "Nasir"), ("Saleh", "Salih"),
    ("Hamdan",), ("Qasim", "Kassem"), ("Darwish", "Darweesh"), ("Al-Aziz", "Aziz"), ("Al-Shami", "Ash-Shami",
    "Shami"), ("Al-Masri", "El Masri", "Masri"), ("Al-Halabi", "Halabi"), ("Al-Khatib", "El-Khatib", "Khatib"),
    ("Al-Najjar", "An-Najjar", "Najjar"), ("Obeid", "Ubayd"), ("Sabbagh", "Sabagh"), ("Jaber", "Jabir"),
    ("Bakr", "Bakir"), ("Al-Kurdi", "Kurdi"), ("Al-Tamimi", "At-Tamimi", "Tamimi"), ("Al-Homsi", "Homsi"),
    ("Idlibi",), ("Al-Hamwi", "Hamwi"), ("Al-Zoubi", "Al-Zubi", "Zoubi"), ("Othman", "Uthman", "Osman"),
    ("Abdallah", "Abdullah"), ("Haidar", "Haydar", "Hayder"), ("Al-Jabouri", "Al-Jubouri", "Jabouri"),
    ("Al-Rifai", "Ar-Rifai", "Rifai"), ("Suleiman", "Sulayman"), ("Mahmoud", "Mahmud"), ("Yousef", "Yusuf"),
    ("Al-Sayed", "As-Sayed", "El Sayed"), ("Barakat",), ("Shaheen", "Shahin"), ("Al-Hakim", "El Hakim", "Hakim"),
    ("Khoury", "Khouri", "Khuri"), ("Qureshi", "Kureshi"), ("Al-Dulaimi", "Dulaimi"), ("Awad",), ("Hijazi",),
    ("Al-Ali", "Ali"), ("Farhat",), ("Kanaan", "Kanan"), ("Mousa", "Musa", "Moussa"), ("Abu Bakr", "Abou Bakr"),
)
SPANISH_MALE = ("José", "Juan", "Luis", "Carlos", "Jesús", "Andrés", "Óscar", "Héctor", "Jorge", "Miguel", "Pedro",
                "Javier", "Fernando", "Manuel", "Francisco", "Antonio", "Ramón", "Raúl", "Julián", "Martín", "Rubén",
                "Sebastián", "Tomás", "Víctor", "Álvaro", "Joaquín", "Germán", "Iván", "Nicolás", "Rodrigo")
SPANISH_FEMALE = ("María", "Ana", "Lucía", "Sofía", "Inés", "Mónica", "Rosa", "Carmen", "Isabel", "Beatriz",
                  "Claudia", "Diana", "Elena", "Gloria", "Marta", "Patricia", "Raquel", "Verónica", "Yolanda",
                  "Ángela", "Begoña", "Dolores", "Inmaculada", "Julia", "Luz", "Nelly", "Olga", "Pilar", "Sonia",
                  "Teresa")
SPANISH_FAMILY = ("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez",
                  "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Ortiz", "Gutiérrez",
                  "Chávez", "Ramos", "Ruiz", "Álvarez", "Mendoza", "Castillo", "Jiménez", "Vargas", "Romero",
                  "Herrera", "Medina", "Aguilar", "Muñoz", "Peña", "Castro", "Vásquez", "Rojas", "Ospina", "Cárdenas",
                  "Quiñones", "Zúñiga", "Ibáñez")

#: Regions (the stratum field) and their places, each place with its spellings.
PLACES: dict[str, tuple[tuple[str, ...], ...]] = {
    "north": (("Al-Qusayr", "Qusair", "El Qusayr"), ("Tall Kalakh", "Tell Kalakh"), ("Al-Rastan", "Rastan"),
              ("Talbiseh", "Talbisah"), ("Al-Houla", "Houla", "Al-Hula"), ("Kafr Laha", "Kafrlaha"),
              ("Taldou", "Tal Dou"), ("Deir Baalbah", "Deir Ba'albah"), ("San Isidro",), ("Santa Rosa",)),
    "south": (("Daraa", "Dar'a", "Deraa"), ("Nawa", "Nawa town"), ("Al-Sanamayn", "Sanamein"), ("Jasim", "Jassem"),
              ("Inkhil", "Inkhel"), ("Busra", "Bosra", "Busra al-Sham"), ("Tafas",), ("El Carmen", "Carmen"),
              ("La Dorada", "Dorada"), ("Puerto Nuevo",)),
    "east": (("Deir ez-Zor", "Deir al-Zour", "Dayr az-Zawr"), ("Al-Mayadin", "Mayadeen"), ("Al-Bukamal", "Abu Kamal"),
             ("Al-Shuhayl", "Shuhail"), ("Hajin", "Hajeen"), ("Al-Quriyah", "Quriya"), ("San Pablo",),
             ("Las Palmas", "Palmas"), ("Tibú", "Tibu"), ("El Tarra", "Tarra")),
    "west": (("Baniyas", "Banias"), ("Al-Bayda", "Bayda"), ("Jableh", "Jabla"), ("Al-Haffah", "Haffa"),
             ("Qardaha", "Al-Qardaha"), ("Slunfeh", "Slenfeh"), ("Buenaventura",), ("Tumaco",),
             ("Barbacoas",), ("El Charco", "Charco")),
}

#: How each list publishes its records: date format, sex coding, spelling habits and error/missing rates.
LIST_STYLES: dict[str, dict[str, Any]] = {
    "A": {"date_format": "%Y-%m-%d", "sex_codes": ("M", "F"), "upper": 0.0, "keep_accents": 0.9, "family_first": 0.0,
          "keep_middle": 0.9, "house_style": 0.8, "typo": 0.04, "missing": {"sex": 0.02, "age": 0.10, "date": 0.03,
          "place": 0.05}, "age_error": 0.10, "date_error": 0.05, "duplicates": 0.02},
    "B": {"date_format": "%d/%m/%Y", "sex_codes": ("male", "female"), "upper": 1.0, "keep_accents": 0.0,
          "family_first": 0.0, "keep_middle": 0.6, "house_style": 0.6, "typo": 0.06,
          "missing": {"sex": 0.05, "age": 0.25, "date": 0.06, "place": 0.10}, "age_error": 0.20, "date_error": 0.08,
          "duplicates": 0.04},
    "C": {"date_format": "%d %B %Y", "sex_codes": ("H", "F"), "upper": 0.0, "keep_accents": 0.5, "family_first": 0.0,
          "keep_middle": 0.3, "house_style": 0.5, "typo": 0.08, "missing": {"sex": 0.10, "age": 0.35, "date": 0.08,
          "place": 0.15}, "age_error": 0.25, "date_error": 0.10, "duplicates": 0.03},
    "D": {"date_format": "%d.%m.%Y", "sex_codes": ("m", "f"), "upper": 0.5, "keep_accents": 0.3, "family_first": 0.7,
          "keep_middle": 0.7, "house_style": 0.7, "typo": 0.05, "missing": {"sex": 0.03, "age": 0.15, "date": 0.05,
          "place": 0.08}, "age_error": 0.15, "date_error": 0.06, "duplicates": 0.03},
}

_NOTES = ("killed by shelling near the market", "shot at a checkpoint", "died in detention", "body found by the road",
          "killed in an air strike", "reported by a relative", "witness statement on file", "died of wounds",
          "killed during a house search", "")

#: Default capture model: two latent classes (easy / hard to document), 4 lists, regional coverage multipliers.
#: The classes are moderately apart (capture probabilities 0.35-0.50 and 0.25-0.30).  With a harder class
#: (0.15-0.25) LCMCR is biased low even on perfectly linked lists (measured: mean −6% and 5 of 12 intervals
#: covering at 1,250 people per stratum), which would mix the estimator's bias into what the lists' linkage does.
DEFAULT_CLASS_WEIGHTS = (0.7, 0.3)
DEFAULT_CAPTURE_PROBS = ((0.50, 0.40, 0.35, 0.45), (0.30, 0.25, 0.30, 0.30))
DEFAULT_REGION_MULTIPLIERS = {"north": (1.0, 1.2, 1.0, 0.9), "south": (1.1, 0.8, 1.2, 1.0),
                              "east": (0.8, 1.0, 0.9, 1.2), "west": (1.0, 1.0, 0.8, 0.9)}


@dataclass
class SyntheticLists:
    """Record-level lists as monitors publish them, plus the truth behind them.

    Attributes
    ----------
    lists
        ``{list name: DataFrame}`` with columns ``name, sex, age, date, place, region, notes`` (strings; missing
        fields are empty).  Row order is random.
    truth
        ``{list name: array of person ids}`` aligned with the rows of each list.
    N
        True population size (documented or not).
    N_by_region
        True size of each region.
    params
        The capture model and list styles used (JSON-ready).
    """

    lists: dict[str, pd.DataFrame]
    truth: dict[str, np.ndarray]
    N: int
    N_by_region: dict[str, int]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def observed(self) -> int:
        """People on at least one list."""
        return len(np.unique(np.concatenate(list(self.truth.values()))))

    def true_histories(self) -> pd.DataFrame:
        """The capture histories perfect linkage would give: one row per documented person, 0/1 per list, region."""
        rows: dict[int, dict[str, Any]] = {}
        regions = self.params["person_region"]
        for name, ids in self.truth.items():
            for pid in np.unique(ids):
                row = rows.setdefault(int(pid), {n: 0 for n in self.lists})
                row[name] = 1
        frame = pd.DataFrame.from_dict(rows, orient="index").sort_index()
        frame["region"] = [regions[i] for i in frame.index]
        return frame.reset_index(drop=True)

    def write(self, directory: str | Path, *, overwrite: bool = False) -> list[Path]:
        """Write one CSV per list (``A.csv`` ...) and ``truth.json`` (N, per-region N, person ids), each atomically.

        Files of those names already in the folder are refused unless ``overwrite`` (a set mixing an earlier
        simulation's lists with this one's truth would be wrong without a sign of it); every check is made before
        the first file is written.
        """
        import json
        import os

        from estimate.atomic import atomic_batch, atomic_write_text

        directory = Path(directory)
        if directory.exists() and not directory.is_dir():
            raise DataError(f"{str(directory)!r} is a file, not a folder for the lists")
        targets = [directory / f"{name}.csv" for name in self.lists] + [directory / "truth.json"]
        taken = [p.name for p in targets if p.exists() or p.is_symlink()]
        folders = [p.name for p in targets if p.is_dir()]
        if folders:
            raise DataError(f"{str(directory)!r} holds folders named {folders}, where the lists go; use another folder")
        if taken and not overwrite:
            raise DataError(f"{str(directory)!r} already holds {', '.join(taken)}: write the lists into a new or "
                            "empty folder (or overwrite them: CLI --overwrite, Python write(..., overwrite=True))")
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise DataError(f"the folder {str(directory)!r} is not writable")
        paths = []
        truth = {"N": self.N, "N_by_region": self.N_by_region,
                 "person_ids": {k: v.tolist() for k, v in self.truth.items()}}
        with atomic_batch():  # every list and the truth, or (a write that fails) none of them
            for name, frame in self.lists.items():
                path = directory / f"{name}.csv"
                atomic_write_text(path, frame.to_csv(index=False, lineterminator="\n"))
                paths.append(path)
            atomic_write_text(directory / "truth.json", json.dumps(truth))
        return paths


def _child(seq: np.random.SeedSequence, label: str) -> np.random.Generator:
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, zlib.crc32(label.encode("utf-8"))))
    return np.random.Generator(np.random.PCG64(child))


def _population(N: int, rng: np.random.Generator) -> pd.DataFrame:
    """People: naming tradition, sex, names (as indices into the pools), age, date and place of death."""
    regions = list(PLACES)
    region = rng.choice(len(regions), size=N, p=[0.3, 0.25, 0.25, 0.2])
    arabic = rng.random(N) < 0.65
    female = rng.random(N) < 0.3
    age = np.clip(np.round(rng.gamma(4.0, 8.0, size=N)), 0, 95).astype(int)
    # deaths cluster in events: one place, one date, several people
    start = np.datetime64("2012-01-01")
    n_events = max(1, N // 25)
    event_region = rng.integers(0, len(regions), size=n_events)
    event_place = np.array([rng.integers(0, len(PLACES[regions[r]])) for r in event_region])
    event_day = rng.integers(0, 730, size=n_events)
    in_event = rng.random(N) < 0.35
    event = np.where(in_event, rng.integers(0, n_events, size=N), -1)
    region = np.where(in_event, event_region[np.maximum(event, 0)], region)
    place = np.array([rng.integers(0, len(PLACES[regions[r]])) for r in region])
    place = np.where(in_event, event_place[np.maximum(event, 0)], place)
    day = np.where(in_event, event_day[np.maximum(event, 0)], rng.integers(0, 730, size=N))
    given = np.where(arabic, np.where(female, rng.integers(0, len(ARABIC_FEMALE), N),
                                      _zipf_index(rng, len(ARABIC_MALE), N)),
                     np.where(female, rng.integers(0, len(SPANISH_FEMALE), N), rng.integers(0, len(SPANISH_MALE), N)))
    middle = np.where(arabic, _zipf_index(rng, len(ARABIC_MALE), N),
                      np.where(rng.random(N) < 0.4, np.where(female, rng.integers(0, len(SPANISH_FEMALE), N),
                                                               rng.integers(0, len(SPANISH_MALE), N)), -1))
    family = np.where(arabic, rng.integers(0, len(ARABIC_FAMILY), N), rng.integers(0, len(SPANISH_FAMILY), N))
    family2 = np.where(arabic, -1, rng.integers(0, len(SPANISH_FAMILY), N))
    return pd.DataFrame({
        "person_id": np.arange(N), "arabic": arabic, "female": female, "given": given, "middle": middle,
        "family": family, "family2": family2, "age": age, "date": start + day.astype("timedelta64[D]"),
        "region": np.array(regions)[region], "place": place,
    })


def _zipf_index(rng: np.random.Generator, size: int, n: int) -> np.ndarray:
    """Indices with a heavy head (a few very common names), as for Mohammed / Ahmed / Ali."""
    weights = 1.0 / np.arange(1, size + 1) ** 0.9
    return rng.choice(size, size=n, p=weights / weights.sum())


def _spell(variants: tuple[str, ...], rng: np.random.Generator, house: float) -> str:
    """The list's usual spelling with probability ``house``, otherwise any spelling."""
    if len(variants) == 1 or rng.random() < house:
        return variants[0]
    return variants[int(rng.integers(0, len(variants)))]


def _typo(text: str, rng: np.random.Generator) -> str:
    """One keyboard-style error (substitution, deletion, insertion or transposition), never the first letter."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha() and i > 0]
    if not letters:
        return text
    i = letters[int(rng.integers(0, len(letters)))]
    kind = int(rng.integers(0, 4))
    alphabet = "abcdefghijklmnoprstuy"
    new = alphabet[int(rng.integers(0, len(alphabet)))]
    new = new.upper() if text[i].isupper() else new
    if kind == 0:
        return text[:i] + new + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i + 1:]
    if kind == 2:
        return text[:i] + new + text[i:]
    if i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + text[i + 1:]


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _render_name(person: pd.Series, style: dict[str, Any], rng: np.random.Generator) -> str:
    house = style["house_style"]
    if person.arabic:
        pool = ARABIC_FEMALE if person.female else ARABIC_MALE
        given = _spell(pool[person.given], rng, house)
        middle = _spell(ARABIC_MALE[person.middle], rng, house) if rng.random() < style["keep_middle"] else ""
        family = _spell(ARABIC_FAMILY[person.family], rng, house)
    else:
        pool = SPANISH_FEMALE if person.female else SPANISH_MALE
        given = pool[person.given]
        middle = pool[person.middle] if person.middle >= 0 and rng.random() < style["keep_middle"] else ""
        family = f"{SPANISH_FAMILY[person.family]} {SPANISH_FAMILY[person.family2]}"
    if rng.random() < style["typo"]:
        part = int(rng.integers(0, 2))
        given, family = (_typo(given, rng), family) if part == 0 else (given, _typo(family, rng))
    if rng.random() < style["family_first"]:
        name = f"{family.upper()}, {' '.join(p for p in (given, middle) if p)}"
    else:
        name = " ".join(p for p in (given, middle, family) if p)
    if rng.random() >= style["keep_accents"]:
        name = _strip_accents(name)
    if rng.random() < style["upper"]:
        name = name.upper()
    return name


def _render_record(person: pd.Series, style: dict[str, Any], rng: np.random.Generator) -> dict[str, str]:
    missing = style["missing"]
    record = {"name": _render_name(person, style, rng)}
    male_code, female_code = style["sex_codes"]
    sex = female_code if person.female else male_code
    if rng.random() < 0.005:
        sex = male_code if person.female else female_code
    record["sex"] = "" if rng.random() < missing["sex"] else sex
    age = int(person.age)
    if rng.random() < style["age_error"]:
        age = max(0, age + int(rng.choice([-1, 1])) * int(rng.choice([1, 1, 1, 2, 3, 5])))
    record["age"] = "" if rng.random() < missing["age"] else str(age)
    date = pd.Timestamp(person.date)
    if rng.random() < style["date_error"]:
        date = date + pd.Timedelta(days=int(rng.choice([-3, -2, -1, 1, 2, 3, 7, 30])))
    record["date"] = "" if rng.random() < missing["date"] else date.strftime(style["date_format"])
    place = _spell(PLACES[person.region][person.place], rng, 0.7)
    if rng.random() < style["typo"] / 2:
        place = _typo(place, rng)
    record["place"] = "" if rng.random() < missing["place"] else place
    record["region"] = person.region
    record["notes"] = _NOTES[int(rng.integers(0, len(_NOTES)))]
    return record


def synthetic_lists(
    N: int = 5000,
    *,
    seed: int | np.random.SeedSequence | None = None,
    lists: Sequence[str] = ("A", "B", "C", "D"),
    class_weights: Sequence[float] = DEFAULT_CLASS_WEIGHTS,
    capture_probs: Sequence[Sequence[float]] = DEFAULT_CAPTURE_PROBS,
    region_multipliers: dict[str, Sequence[float]] | None = None,
    styles: dict[str, dict[str, Any]] | None = None,
) -> SyntheticLists:
    """Draw a population of ``N`` people and the lists that document them (see the module docstring).

    Parameters
    ----------
    N
        True population size.
    seed
        Seed of the ``SeedSequence`` behind every draw.
    lists
        List names; each needs a style (defaults exist for ``A``–``D``) and a column of ``capture_probs``.
    class_weights, capture_probs
        Latent-class capture model: ``capture_probs[c][j]`` is the probability that list j documents a person of
        class c (before the regional multiplier).
    region_multipliers
        ``{region: per-list multipliers}`` of the capture probabilities (coverage that varies by region).
    styles
        ``{list: style dict}`` overriding :data:`LIST_STYLES` (date format, sex codes, error and missing rates).

    Examples
    --------
    >>> sim = synthetic_lists(300, seed=1)
    >>> sorted(sim.lists), sim.N
    (['A', 'B', 'C', 'D'], 300)
    >>> all(len(sim.lists[k]) == len(sim.truth[k]) for k in sim.lists)
    True
    """
    if isinstance(N, bool) or int(N) != N or N < 1:
        raise DataError(f"population size N must be a positive whole number, got {N!r}")
    check_seed(seed, "synthetic_lists")  # numpy's own wording named no seed
    N = int(N)
    names = [str(x) for x in lists]
    probs = np.asarray(capture_probs, dtype=float)
    weights = np.asarray(class_weights, dtype=float)
    if probs.ndim != 2 or probs.shape != (len(weights), len(names)):
        raise DataError(f"capture_probs must be (classes={len(weights)}) × (lists={len(names)}), got {probs.shape}")
    if not math.isclose(weights.sum(), 1.0, abs_tol=1e-9) or (weights < 0).any():
        raise DataError(f"class_weights must be non-negative and sum to 1, got {list(weights)}")
    all_styles = {**LIST_STYLES, **(styles or {})}
    missing_styles = [n for n in names if n not in all_styles]
    if missing_styles:
        raise DataError(f"no style for list(s) {missing_styles}: pass styles={{name: {{...}}}} (see LIST_STYLES)")
    multipliers = region_multipliers if region_multipliers is not None else (
        DEFAULT_REGION_MULTIPLIERS if len(names) == 4 else {r: (1.0,) * len(names) for r in PLACES})

    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = _child(seq, "population")
    people = _population(N, rng)
    klass = rng.choice(len(weights), size=N, p=weights)
    mult = np.array([multipliers[r] for r in people["region"]], dtype=float)
    p = np.clip(probs[klass] * mult, 0.0, 1.0)
    captured = rng.random((N, len(names))) < p

    frames: dict[str, pd.DataFrame] = {}
    truth: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        list_rng = _child(seq, f"list:{name}")
        style = all_styles[name]
        members = np.flatnonzero(captured[:, j])
        dup = members[list_rng.random(len(members)) < style["duplicates"]]
        ids = np.concatenate([members, dup])
        records = [_render_record(people.iloc[i], style, list_rng) for i in ids]
        order = list_rng.permutation(len(ids))
        frames[name] = pd.DataFrame([records[k] for k in order],
                                    columns=["name", "sex", "age", "date", "place", "region", "notes"])
        truth[name] = ids[order].astype(np.int64)
    params = {
        "lists": names, "class_weights": weights.tolist(), "capture_probs": probs.tolist(),
        "region_multipliers": {k: list(v) for k, v in multipliers.items()},
        "styles": {n: all_styles[n] for n in names},
        "person_region": people["region"].tolist(),
        "seed": {"entropy": seq.entropy, "spawn_key": list(seq.spawn_key)},
    }
    n_by_region = {str(k): int(v) for k, v in people["region"].value_counts().sort_index().items()}
    return SyntheticLists(lists=frames, truth=truth, N=N, N_by_region=n_by_region, params=params)
