"""safeplan.yaml `fonts` → the bundle's font stacks (GB/T 9704 faces), their CSS and the faces to check and embed."""

from __future__ import annotations

import os
from dataclasses import dataclass

# GB/T 9704: body 仿宋, 一、 headings 黑体, （一） headings 楷体, titles 小标宋. Free faces packaged in Debian:
# the Fandol fonts (texlive-lang-chinese, GB 2312 and more); Noto CJK (fonts-noto-cjk) behind them and for titles.
DEFAULT_STACKS = (
    ("body", ("FandolFang", "Noto Serif CJK SC")),
    ("hei", ("FandolHei", "Noto Sans CJK SC")),
    ("kai", ("FandolKai", "Noto Serif CJK SC")),
    ("title", ("Noto Serif CJK SC",)),
)
WEIGHTS = {"title": "bold"}  # the weight each role's first face is checked and embedded in
GENERIC = {"body": "serif", "hei": "sans-serif", "kai": "serif", "title": "serif"}
PACKAGES = {"Fandol": "texlive-lang-chinese", "Noto": "fonts-noto-cjk"}


def font_stacks(config: dict | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The stacks from safeplan.yaml's `fonts` (a role → list of family names), the defaults for roles not given."""
    given = (config or {}).get("fonts") or {}
    return tuple((role, tuple(given.get(role) or families)) for role, families in DEFAULT_STACKS)


def wanted_faces(stacks) -> tuple[tuple[str, str], ...]:
    """(family, weight) of each role's first family: text is checked against and subset from these."""
    return tuple(dict.fromkeys((families[0], WEIGHTS.get(role, "regular")) for role, families in stacks))


def with_fonts(css: str, stacks) -> str:
    """The stylesheet with its role placeholders ("safeplan-body" …) replaced by the configured stacks."""
    for role, families in stacks:
        css = css.replace(f'"safeplan-{role}"', ", ".join(f'"{f}"' for f in families) + f", {GENERIC[role]}")
    return css


def package_for(family: str) -> str:
    return next((package for prefix, package in PACKAGES.items() if family.startswith(prefix)), " ".join(PACKAGES.values()))


@dataclass(frozen=True)
class Face:
    family: str
    weight: str
    path: str
    index: int

    def identity(self) -> str:
        stat = os.stat(self.path)
        return f"{self.family}|{self.weight}|{self.path}|{self.index}|{stat.st_size}|{stat.st_mtime_ns}"
