"""Test-wide settings. Kernels started by nbval inherit this environment: headless, so forms and
self-checks render as the static HTML stored in the committed notebooks."""

import atexit
import os
import shutil
import tempfile

os.environ["AIPM_KIT_HEADLESS"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
# `aipm-kit list` remembers verdicts in the user's cache folder: tests use a folder of their own
_cache = tempfile.mkdtemp(prefix="aipm-kit-test-cache-")
os.environ["XDG_CACHE_HOME"] = _cache
atexit.register(shutil.rmtree, _cache, True)
