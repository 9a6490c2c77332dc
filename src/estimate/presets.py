"""Named model presets: TOML files in ``models/`` that fix a method, its priors and sampler settings.

A preset is data, readable by a statistician who never opens Python::

    name = "lcmcr-default"
    method = "lcmcr"
    [priors]
    a_alpha = 0.25
    [model]
    K = 10
    [sampler]
    chains = 4

Every key in the tables ``[priors]``, ``[model]``, ``[sampler]`` and ``[interval]`` becomes a parameter of the
method's estimator class.  Load one by name (``load_preset("lcmcr-default")``) or by path to your own file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from estimate.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from estimate.estimators.base import Estimator

__all__ = ["Preset", "load_preset", "preset_names", "make_estimator"]

_PARAMETER_TABLES = ("priors", "model", "sampler", "interval")
_TOP_LEVEL_KEYS = ("name", "method", "description")


@dataclass(frozen=True)
class Preset:
    """A parsed preset: the method, its parameters and the full TOML text (kept for provenance)."""

    name: str
    method: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    path: str = ""


#: Parameters whose text values name a choice (case-insensitive, as the CLI's --interval and method names are).
_CHOICE_KEYS = frozenset({"interval", "sampler", "criterion"})


def _models_dirs() -> list[Path]:
    """Where presets live: the package copy (installed wheels) and the source tree's ``models/`` (an editable
    install) — only if it sits beside the project's pyproject.toml: installed with ``pip install --target
    proj/vendor``, the package's grandparent is the user's own folder, whose ``models/`` is not ours."""
    dirs: list[Path] = []
    packaged = resources.files("estimate").joinpath("models")
    if packaged.is_dir():
        dirs.append(Path(str(packaged)))
    root = Path(__file__).resolve().parents[2]
    if (root / "models").is_dir() and _is_this_project(root / "pyproject.toml"):
        dirs.append(root / "models")
    return dirs


def _is_this_project(pyproject: Path) -> bool:
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name") == "estimate"
    except (OSError, ValueError):  # none, unreadable, or not TOML
        return False


def preset_names() -> list[str]:
    """Names of the bundled presets."""
    return sorted({p.stem for d in _models_dirs() for p in d.glob("*.toml")})


def _find(name_or_path: str | Path) -> Path:
    """A preset file: a path when it ends in .toml or holds a folder separator (``./mine``, ``models/x``), else a
    bundled preset's name — a file or folder in the working directory that shares a preset's name does not
    replace the preset (a local file of another name is still found)."""
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise DataError(f"a model preset is a bundled preset's name or a TOML file's path, got {name_or_path!r}")
    text = str(name_or_path)
    candidate = Path(name_or_path).expanduser()  # '~/mine.toml' quoted (or after --model=) reaches us unexpanded
    path_like = (candidate.suffix.lower() == ".toml" or os.sep in text or bool(os.altsep and os.altsep in text)
                 or text.startswith("~"))
    if path_like:
        if candidate.is_dir():
            raise DataError(f"preset {text!r} is a folder, not a TOML file")
        if not candidate.is_file():
            hint = (f" (the bundled preset is named {candidate.stem!r}, without .toml)"
                    if candidate.stem in preset_names() and not candidate.parent.name else "")
            raise DataError(f"preset file {text!r} does not exist{hint}")
        return candidate
    for directory in _models_dirs():
        path = directory / f"{text}.toml"
        if path.is_file():
            return path
    if candidate.is_file():
        return candidate
    raise DataError(f"unknown model preset {str(name_or_path)!r}; bundled presets: {', '.join(preset_names())}")


def load_preset(name_or_path: str | Path) -> Preset:
    """Read a preset by bundled name (``"lcmcr-default"``) or from a TOML file path."""
    path = _find(name_or_path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (some Windows editors) is not TOML
    except UnicodeDecodeError as exc:
        raise DataError(f"preset {str(path)!r} is not UTF-8 text (TOML files must be UTF-8): {exc}") from exc
    except OSError as exc:  # permissions, a device that cannot be read: an input problem, not an internal error
        raise DataError(f"preset {str(path)!r} cannot be read: {exc.strerror or exc}") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"preset {str(path)!r} is not valid TOML: {exc}") from exc
    if "method" not in raw:
        raise DataError(f"preset {str(path)!r} does not say which method it configures (method = \"...\")")
    # a misspelt table ([prior]) or a parameter outside the tables would otherwise be ignored without a word,
    # and the fit would run with the default it was meant to change
    stray = sorted(k for k in raw if k not in _PARAMETER_TABLES and k not in _TOP_LEVEL_KEYS)
    if stray:
        raise DataError(
            f"preset {str(path)!r}: unknown key(s) or table(s) {stray}; a preset has {list(_TOP_LEVEL_KEYS)} at the "
            f"top and its parameters in the tables {['[' + t + ']' for t in _PARAMETER_TABLES]}")
    params: dict[str, Any] = {}
    for table in _PARAMETER_TABLES:
        section = raw.get(table, {})
        if not isinstance(section, dict):
            raise DataError(f"preset {str(path)!r}: [{table}] must be a table")
        for key, value in section.items():
            if key in params:
                raise DataError(f"preset {str(path)!r}: parameter {key!r} is set in two tables")
            if key in _CHOICE_KEYS and isinstance(value, str):  # "HDI", "Gibbs", "AIC": as the CLI flags accept
                value = value.strip().lower()
            params[key] = value
    name = str(raw.get("name", path.stem))
    resolved = Path(path).expanduser().resolve()
    bundled = {d.resolve() for d in _models_dirs()}
    if name in preset_names() and resolved.parent not in bundled:
        # a copy of a bundled preset, changed as the README suggests, still says name = "lcmcr-default": it must
        # not pass as the bundled preset in provenance, reports and compare's seeds
        # (not its folder: compare derives seeds from the name, which must not depend on where the file is)
        name = f"{path.stem} (from {name})" if path.stem != name else f"{name} (local copy)"
    return Preset(
        name=name,
        method=str(raw["method"]).strip().lower(),  # method names are case-insensitive, as everywhere
        description=str(raw.get("description", "")),
        params=params,
        text=text,
        path=str(Path(path).expanduser().resolve()),  # provenance must say which file, wherever it is read
    )


def preset_estimator_class(preset: Preset) -> type:
    """The estimator class a preset configures; an unknown method is a DataError naming the preset's file."""
    from estimate.estimators.base import get_estimator_class

    try:
        return get_estimator_class(preset.method)
    except DataError as exc:
        raise DataError(f"preset {preset.name!r} ({preset.path}): {exc}") from exc


def make_estimator(method: str | None = None, model: str | Path | None = None, **overrides: Any) -> Estimator:
    """Build an estimator from a method name and/or a preset, with keyword overrides.

    ``make_estimator(model="lcmcr-default", seed=1)`` or ``make_estimator("chapman")``.  Every override is passed
    on as given, ``None`` included (``make_estimator("loglinear", screen=None)`` fits every move).
    """
    from estimate.estimators.base import get_estimator_class, unknown_parameter_hint

    params: dict[str, Any] = {}
    if model is not None:
        preset = load_preset(model)
        if method is not None and method.strip().lower() != preset.method:
            raise DataError(f"preset {preset.name!r} configures method {preset.method!r}, not {method!r}")
        method = preset.method
        params.update(preset.params)
    if method is None:
        raise DataError("give a method (e.g. 'loglinear') or a model preset (e.g. 'lcmcr-default')")
    cls = preset_estimator_class(preset) if model is not None else get_estimator_class(method)
    params.update(overrides)  # an explicit None is a value (LogLinear(screen=None) fits every move), not "unset"
    valid = set(cls._param_names())
    unknown = sorted(set(params) - valid)
    if unknown:
        where = (f"preset {preset.name!r} ({preset.path}): " if model is not None
                 and set(unknown) <= set(preset.params) else "")
        raise DataError(f"{where}method {method!r} has no parameter(s) {unknown}"
                        f"{unknown_parameter_hint(unknown, valid)}; valid parameters: {sorted(valid)}")
    if model is not None:
        try:  # a bad value of the preset's own stops here, naming it, not at fit() after the data are read
            cls(**preset.params).check_params()
        except ValueError as exc:
            raise DataError(f"preset {preset.name!r} ({preset.path}): {exc}") from exc
    estimator = cls(**params)
    if model is not None:  # recorded (name and full TOML text) in the provenance of every fit
        estimator._preset = preset
    return estimator
