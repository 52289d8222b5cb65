"""The library's loggers are silent until the application configures logging, and never touch the
root logger: an in-doubt transaction's warning does not reach a script's stderr on its own."""

from __future__ import annotations

import subprocess
import sys


def _run(snippet: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, check=True, timeout=60)


def test_a_library_warning_is_not_printed_unless_the_application_configures_logging() -> None:
    warn = "import logging\nlogging.getLogger('tradefin.gateway.resolution').warning('outcome unknown')\n"
    silent = _run("import tradefin.gateway\n" + warn + "print(logging.getLogger().handlers)")
    assert silent.stderr == "" and silent.stdout.strip() == "[]"  # the root logger untouched
    configured = _run("import logging, tradefin.gateway\nlogging.basicConfig()\n" + warn)
    assert "WARNING:tradefin.gateway.resolution:outcome unknown" in configured.stderr
