"""Prints what pip must install for the tests, one argument per line, and nothing when all is there.

`scripts/test.sh` installs only what is missing, so a machine that has everything makes no network
call and a machine that lacks one package gets that package, not the whole list again. Checked:
the package itself (importable as an installed distribution, for the `gateway` console script
the service tests use) and each requirement of `dependencies` and the given extras of
pyproject.toml, version ranges included. Standard library only (plus pip's own copy of
`packaging` when the real one is absent), so it runs before anything is installed.
"""
from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import Requirement
except ImportError:  # pip ships its own copy; a bare interpreter without pip cannot install anyway
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]


def unsatisfied(requirements: list[str]) -> list[str]:
    """The requirements whose distribution is absent or outside the version range."""
    missing = []
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            missing.append(line)
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            missing.append(line)
    return missing


def main(extras: list[str]) -> int:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    try:
        metadata.version(project["name"])
    except metadata.PackageNotFoundError:
        print("-e")  # the package itself, editable so the console script runs this checkout
        print(f"{REPO}[{','.join(extras)}]" if extras else str(REPO))
        return 0
    for line in unsatisfied(wanted):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
