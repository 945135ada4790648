"""Point the README's Binder badges and links at the repository named in pyproject.toml.

The repository's address lives in one place, ``[project.urls] Repository`` in ``pyproject.toml``. A fork changes
it there and runs this script once; ``tests/test_packaging.py`` fails while the README points elsewhere.

    python binder/set_repository.py
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = re.compile(r"https://mybinder\.org/v2/gh/[^/\s)`]+/[^/\s)`]+/")


def repository() -> str:
    """``owner/name`` of the GitHub repository pyproject.toml names."""
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    found = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", urls["Repository"])
    if not found:
        raise SystemExit(f"pyproject.toml: [project.urls] Repository must be https://github.com/OWNER/NAME, "
                         f"found {urls['Repository']!r}")
    return found.group(1)


def binder_prefix() -> str:
    return f"https://mybinder.org/v2/gh/{repository()}/"


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = BINDER.sub(binder_prefix(), text)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
        print(f"README.md: Binder links now open {repository()}")
    else:
        print(f"README.md already opens {repository()} on Binder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
