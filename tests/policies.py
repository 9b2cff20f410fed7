"""The seed policies as an admin adopts them: the shipped gateway.toml with an
`examples/` block laid over it, written to a temp directory.

`adopt("policy-az-3-10.toml", tmp_path)` returns the path of a gateway.toml that
is the shipped one with the block's keys set (the block wins key by key, tables
merge), the shipped templates and rules, and storage in `tmp_path`. `overrides`
is laid over last, for a test's own keys (an SMTP port, staff addresses).
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from gatewaykit import REPO

EXAMPLES = REPO / "examples"
# Seed file -> the examples block that implements it.
SEED_BLOCKS: dict[str, str] = {
    "000": "policy-az-3-10.toml",
    "001": "policy-az-3-10.toml",
    "002": "policy-tr-same-day.toml",
    "003": "policy-stages-2-4-1.toml",
    "004": "policy-priority-1-3-5.toml",
}


def adopted(block: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The merged config as a dict: shipped gateway.toml <- block <- test-local paths <- overrides."""
    shipped = tomllib.loads((REPO / "gateway.toml").read_text(encoding="utf-8"))
    data = merge(shipped, tomllib.loads((EXAMPLES / block).read_text(encoding="utf-8")))
    data = merge(data, {"paths": {"templates": str(REPO / "templates" / "mail"), "rules": str(REPO / "rules")},
                        "web": {"templates": str(REPO / "templates" / "web")}})
    return merge(data, overrides or {})


def adopt(block: str, directory: Path, overrides: dict[str, Any] | None = None) -> Path:
    """Write the adopted config to `directory`/gateway.toml and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "gateway.toml"
    path.write_text(dumps(adopted(block, overrides)), encoding="utf-8")
    return path


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def dumps(data: dict[str, Any]) -> str:
    """TOML for what gateway.toml holds: tables of scalars, lists and tables."""
    lines: list[str] = []
    _table(data, "", lines)
    return "\n".join(lines) + "\n"


def _table(table: dict[str, Any], name: str, lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not _is_table(v)}
    if name and (scalars or not table):
        lines.append(f"[{name}]")
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in table.items():
        if _is_table(value):
            if isinstance(value, list):
                for item in value:
                    lines.append(f"[[{name + '.' if name else ''}{_key(key)}]]")
                    for k, v in item.items():
                        lines.append(f"{_key(k)} = {_value(v)}")
            else:
                _table(value, f"{name}.{_key(key)}" if name else _key(key), lines)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and
                                       all(isinstance(v, dict) for v in value))


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else _value(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
