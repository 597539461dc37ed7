"""Every declared runtime dependency is used: each is imported somewhere in sheetsync/ by its
import name (tzdata, a data package, is read by zoneinfo itself)."""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from sheetsync.app.demo import DEMO_LOCALES
from tests.test_architecture import PACKAGE, imported_roots

ROOT = PACKAGE.parent
#: Declared, and used without an import: what uses it instead.
NOT_IMPORTED = {"tzdata": "zoneinfo, where the system has no time zone database"}


def declared() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [re.match(r"[A-Za-z0-9._-]+", spec)[0]  # type: ignore[index]
            for spec in project["dependencies"]]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def import_names(distribution: str) -> set[str]:
    """The top-level names a distribution installs (google-auth: google)."""
    return {name for name, owners in packages_distributions().items()
            if canonical(distribution) in map(canonical, owners)}


IMPORTED = set().union(*(imported_roots(p) for p in PACKAGE.rglob("*.py")))


@pytest.mark.parametrize("distribution", [d for d in declared() if d not in NOT_IMPORTED])
def test_each_declared_dependency_is_imported_by_sheetsync(distribution: str) -> None:
    names = import_names(distribution)
    assert names, f"{distribution} is declared but not installed"
    assert names & IMPORTED, f"{distribution} ({', '.join(sorted(names))}) is declared, " \
                             "but nothing in sheetsync/ imports it"


def test_tzdata_is_what_zoneinfo_falls_back_on() -> None:
    assert set(NOT_IMPORTED) <= set(declared())
    zoneinfo.reset_tzpath(to=[])  # no system database: only the tzdata package is left
    try:
        for zone, _ in DEMO_LOCALES.values():  # the presets' own zones
            assert zoneinfo.ZoneInfo.no_cache(zone).key == zone
    finally:
        zoneinfo.reset_tzpath()
