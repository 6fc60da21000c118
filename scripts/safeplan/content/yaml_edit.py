"""YAML text + its data + the data it should hold → the same text with only the changed values rewritten.

What a user wrote stays as written: comments, key order, flow or block style, quotes and every value that
does not change. A changed scalar is replaced where it stands (in its quoting style), a removed key's entry
is cut out, a new key goes right after the key that precedes it in the new data, in its neighbours' style.
The caller loads the result and compares it with the data it asked for before writing anything.
"""

from __future__ import annotations

import json

import yaml

from safeplan.content.yaml_positions import parse_yaml

PHONE_LIKE = set("0123456789+-() .")  # text of these characters only is quoted, as the library writes phones


class EditError(ValueError):
    """The text has a shape this editor does not rewrite in place (the caller reports it, writes nothing)."""


def edit_yaml(text: str, old: dict, new: dict) -> str:
    """`text` (which loads to `old`) changed so that it loads to `new`."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    return _apply(text, _edits(text, root, old, new), 0)


def _apply(text: str, edits: list[tuple[int, int, str]], offset: int) -> str:
    # from the end, so earlier offsets hold; of two insertions at one place the one made first stays first
    for _, (start, end, replacement) in sorted(enumerate(edits), key=lambda e: (e[1][0], e[1][1], e[0]), reverse=True):
        text = text[:start - offset] + replacement + text[end - offset:]
    return text


def same(a, b) -> bool:
    """Equal data of equal types (True is not 1, "1" is not 1); 1 and 1.0 are the same number."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    kinds = (bool, str, dict, list, type(None))
    return a == b and all(isinstance(a, kind) == isinstance(b, kind) for kind in kinds)


def _edits(text: str, node, old, new) -> list[tuple[int, int, str]]:
    if same(old, new):
        return []
    if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(new, dict):
        return _mapping(text, node, old, new)
    if isinstance(node, yaml.SequenceNode) and isinstance(old, list) and isinstance(new, list) and old:
        return _sequence(text, node, old, new)
    style = node.style if isinstance(node, yaml.ScalarNode) else None
    return [(node.start_mark.index, _end(text, node), _flow(new, style))]


def merged_order(old_keys: list[str], new_keys: list[str]) -> list[str]:
    """The old keys still wanted, in their order, each new key right after the one before it in `new_keys`."""
    order = [key for key in old_keys if key in new_keys]
    for index, key in enumerate(new_keys):
        if key in order:
            continue
        before = next((k for k in reversed(new_keys[:index]) if k in order), None)
        order.insert(order.index(before) + 1 if before is not None else 0, key)
    return order


def _mapping(text: str, node, old: dict, new: dict):
    entries = {key.value: (key, value) for key, value in node.value}
    kept = [key for key in old if key in new]
    child = {key: _edits(text, entries[key][1], old[key], new[key]) for key in kept}
    if list(old) == kept and all(key in old for key in new):
        return [edit for key in kept for edit in child[key]]
    order = merged_order(list(old), list(new))
    if node.flow_style or not kept:
        parts = []
        for key in order:
            if key in old:
                start, end = entries[key][0].start_mark.index, _end(text, entries[key][1])
                parts.append(_apply(text[start:end], child[key], start))
            else:
                parts.append(f"{_key(key)}: {_flow(new[key])}")
        return [(node.start_mark.index, _end(text, node), "{" + ", ".join(parts) + "}")]
    edits = [edit for key in kept for edit in child[key]]
    for key in old:
        if key not in new:
            key_node, value = entries[key]
            start = _line_start(text, key_node.start_mark.index)
            if text[start:key_node.start_mark.index].strip():
                raise EditError(f"“{key}”与上一项写在同一行，无法单独删除。")
            edits.append((start, _line_end(text, _end(text, value)) + 1, ""))
    indent = " " * node.value[0][0].start_mark.column
    first = entries[kept[0]][0].start_mark.index
    for index, key in enumerate(order):
        if key in old:
            continue
        entry = f"{_key(key)}: {_block(new[key], len(indent))}"
        before = next((k for k in reversed(order[:index]) if k in old), None)
        if before is None:  # before the first kept key, on its own line
            edits.append((first, first, entry + "\n" + indent))
        else:
            at = _line_end(text, _end(text, entries[before][1]))
            edits.append((at, at, "\n" + indent + entry))
    return edits


def _sequence(text: str, node, old: list, new: list):
    items = node.value
    per_item = [_edits(text, item, a, b) for item, a, b in zip(items, old, new)]
    edits = [edit for item_edits in per_item for edit in item_edits]
    if node.flow_style:
        if len(old) == len(new):
            return edits
        parts = [_apply(text[item.start_mark.index:_end(text, item)], item_edits, item.start_mark.index)
                 for item, item_edits in zip(items, per_item)]
        parts += [_flow(item) for item in new[len(old):]]
        return [(node.start_mark.index, _end(text, node), "[" + ", ".join(parts) + "]")]
    if len(new) < len(old):
        if not new:
            return [(node.start_mark.index, _end(text, node), "[]")]
        edits.append((_line_end(text, _end(text, items[len(new) - 1])), _line_end(text, _end(text, items[-1])), ""))
    elif len(new) > len(old):
        prefix = text[_line_start(text, items[0].start_mark.index):items[0].start_mark.index]
        if set(prefix) - {" ", "-"} or not prefix.rstrip().endswith("-"):
            raise EditError("列表的写法无法在原处追加。")
        at = _line_end(text, _end(text, items[-1]))
        edits.append((at, at, "".join("\n" + prefix + _flow(item) for item in new[len(old):])))
    return edits


def _end(text: str, node) -> int:
    """Where a node's own text ends: a block collection ends with its last child; trailing blanks excluded."""
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        return _end(text, last[1] if isinstance(node, yaml.MappingNode) else last)
    end = node.end_mark.index
    while end > node.start_mark.index and text[end - 1] in " \t\r\n":
        end -= 1
    return end


def _line_start(text: str, at: int) -> int:
    return text.rfind("\n", 0, at) + 1


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


def _key(key: str) -> str:
    return key if _plain(key, True) else json.dumps(key, ensure_ascii=False)


def _block(value, indent: int) -> str:
    """A new value after `key: ` in a block mapping: lists as block items of flow values, the rest in flow."""
    if isinstance(value, list) and value:
        return "".join("\n" + " " * (indent + 2) + "- " + _flow(item) for item in value)
    return _flow(value)


def _flow(value, style: str | None = None) -> str:
    """A value as flow YAML; text keeps the quoting style of what it replaces (double quotes when it must)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if style == "'" and "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    if style is None and _plain(text, True) and not set(text) <= PHONE_LIKE:
        return text
    return json.dumps(text, ensure_ascii=False)


def _plain(text: str, flow: bool) -> bool:
    """Whether text written without quotes reads back as the same text (in a flow collection when `flow`)."""
    if not text or text != text.strip() or "\n" in text or (flow and set(text) & set(",[]{}")):
        return False
    if text[0] in "-?:,[]{}#&*!|>'\"%@`" or ": " in text or " #" in text or text.endswith(":"):
        return False

    def fail(message, hint, line, column):
        return ValueError(message)

    try:
        data, _ = parse_yaml(f"k: {{v: {text}}}\n", fail)
    except ValueError:
        return False
    return data == {"k": {"v": text}}
