"""The READMEs' whole-program examples, as printed: where they are and how they are put together.

The integration tests run them against the session network; the static checks type-check them as a
user's script would be. A README whose example no longer runs or type-checks fails a test, not in a
reader's terminal.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: (README, the heading of the section whose first Python block is the gateway quick start)
GATEWAY_EXAMPLES = [
    ("README.md", "## Gateway client"),
    ("gateway/README.md", "## Quick start"),
]


def example(readme: str, heading: str, language: str = "python") -> str:
    """The first ```python (or other ``language``) block after ``heading`` (and before the next heading
    of its level)."""
    text = (ROOT / readme).read_text()
    start = text.index(f"\n{heading}\n")
    level = heading.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + len(heading) + 2)
    section = text[start : end if end >= 0 else len(text)]
    found = re.search(rf"```{re.escape(language)}\n(.*?)```", section, re.DOTALL)
    assert found is not None, f"{readme} has no {language} example under {heading!r}"
    return found.group(1)


def letter_of_credit_app() -> str:
    """The README's letter-of-credit bank app."""
    return example("README.md", "## Letters of credit")


def payments_app() -> str:
    """The README's payments bank app: the letter-of-credit app, continued, as the README says."""
    return letter_of_credit_app() + "\n" + example("README.md", "## Payments and compliance")


def command_line_walkthrough() -> str:
    """The README's payments walk-through with the ``tradefin`` command (a shell script)."""
    return example("README.md", "### From the command line", "sh")


def whole_programs() -> dict[str, str]:
    """Every whole-program example by a name of its own."""
    programs = {readme.replace("/", "_").replace(".md", "_quick_start"): example(readme, heading)
                for readme, heading in GATEWAY_EXAMPLES}
    programs["letter_of_credit_app"] = letter_of_credit_app()
    programs["payments_app"] = payments_app()
    return programs
