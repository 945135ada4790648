"""Test-wide settings. Kernels started by nbval inherit this environment: headless, so forms and
self-checks render as the static HTML stored in the committed notebooks."""

import os

os.environ["AIPM_KIT_HEADLESS"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
