"""Record data → YAML text, as the import (and later the web editor) writes it: keys in the given order, Chinese as is."""

from __future__ import annotations

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def to_yaml(data: dict, header: str = "") -> str:
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False)
    return header + body
