"""Capture a real interactive `cookiecutter` session in tmux and render it to docs/prompts.svg.

Usage (from the repository root, after tests/run has created .venv):
    .venv/bin/python docs/capture_prompts.py

The session is real: cookiecutter runs in a tmux pane, this script types the
answers with `tmux send-keys`, and the pane's final screen (with its colours)
is rendered to SVG by rich. Nothing is mocked up.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
SESSION = "template-prompts"
# What a user types: a name, Enter for the derived slug, a description,
# defaults for the author, framework 2 (flask), Python 3.14, port 8080, options on.
ANSWERS = ["Billing API", "", "Bills customers every month.", "", "", "2", "", "8080", "", "", "", ""]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def main() -> int:
    if not shutil.which("tmux"):
        print("tmux is needed: apt-get install tmux", file=sys.stderr)
        return 1
    cookiecutter = Path(sys.executable).parent / "cookiecutter"
    with tempfile.TemporaryDirectory() as out:
        tmux("new-session", "-d", "-s", SESSION, "-x", "100", "-y", "40", "bash", "--norc", "--noprofile")
        try:
            tmux("send-keys", "-t", SESSION, f"PS1='$ '; cd {out}; clear", "Enter")
            time.sleep(0.5)
            tmux("send-keys", "-t", SESSION, f"{cookiecutter} {ROOT}", "Enter")
            for answer in ANSWERS:
                time.sleep(1.0)
                tmux("send-keys", "-t", SESSION, "-l", answer)
                tmux("send-keys", "-t", SESSION, "Enter")
            time.sleep(4)
            screen = tmux("capture-pane", "-t", SESSION, "-p", "-e")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", SESSION], check=False)
        if not (Path(out) / "billing-api" / "Dockerfile").is_file():
            print(screen)
            print("the session did not generate billing-api/", file=sys.stderr)
            return 1
    # The one edit: the local paths become what a team member would type.
    screen = screen.rstrip().replace(f"{cookiecutter} {ROOT}", "cookiecutter gh:acme/python-service-template")
    console = Console(record=True, width=100, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(Text.from_ansi(screen))
    target = ROOT / "docs" / "prompts.svg"
    console.save_svg(str(target), title="cookiecutter: a real prompt session")
    print(Text.from_ansi(screen).plain)
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
