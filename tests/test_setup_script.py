"""``scripts/test`` installs everything on a fresh machine and nothing when nothing changed.

The script runs for real (bash) in a copy of the checkout, with stand-ins on ``PATH`` for
``python3``, ``apt-get``, ``sudo`` and ``dpkg`` and a stand-in virtual environment, each writing
the command it was given to a log: so the test sees every install the script would make, and
never reaches the network itself.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FAKE_VENV_PYTHON = """#!/bin/bash
echo "venv-python $*" >>"$FAKE_LOG"
here="$(dirname "$0")/.."
case "$*" in
  *"pip install -q -e"*) touch "$here/installed" ;;
  "-c "*) [ -e "$here/installed" ] || exit 1 ;;
esac
exit 0
"""

FAKE_PYTHON3 = """#!/bin/bash
echo "python3 $*" >>"$FAKE_LOG"
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  cp "$FAKE_BIN/venv-python" "$3/bin/python"
  printf '#!/bin/bash\\necho "ruff $*" >>"$FAKE_LOG"\\n' >"$3/bin/ruff"
  chmod +x "$3/bin/python" "$3/bin/ruff"
fi
"""

LOGGING = """#!/bin/bash
echo "$(basename "$0") $*" >>"$FAKE_LOG"
"""

DPKG = """#!/bin/bash
echo "dpkg $*" >>"$FAKE_LOG"
[ "$2" != "$FAKE_MISSING" ]
"""


def executable(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def checkout(tmp_path):
    """A copy of the checkout's setup script and pyproject.toml, and stand-in programs."""
    work = tmp_path / "checkout"
    (work / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "test", work / "scripts" / "test")
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    fake = tmp_path / "bin"
    fake.mkdir()
    executable(fake / "venv-python", FAKE_VENV_PYTHON)
    executable(fake / "python3", FAKE_PYTHON3)
    executable(fake / "dpkg", DPKG)
    for name in ("apt-get", "sudo", "chromium", "Xvfb", "msgfmt"):
        executable(fake / name, LOGGING)
    (fake / "sudo").write_text('#!/bin/bash\necho "sudo $*" >>"$FAKE_LOG"\nexec "$@"\n')
    return work, fake, tmp_path / "commands.log"


def run(checkout, missing: str = "") -> list[str]:
    work, fake, log = checkout
    log.unlink(missing_ok=True)
    env = {
        "PATH": f"{fake}:/usr/bin:/bin",
        "HOME": str(work),
        "FAKE_LOG": str(log),
        "FAKE_BIN": str(fake),
        "FAKE_MISSING": missing,
    }
    result = subprocess.run(
        ["bash", str(work / "scripts" / "test"), "-q"], cwd=work, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines()


def pip_calls(lines):
    return [line for line in lines if " pip " in f" {line} "]


def test_fresh_machine_makes_the_venv_installs_fieldkit_and_runs_pytest(checkout):
    lines = run(checkout)
    assert "python3 -m venv .venv" in lines
    assert pip_calls(lines) == [
        "venv-python -m pip install -q --upgrade pip",
        "venv-python -m pip install -q -e .[test,desktop]",
    ]
    assert lines[-1] == "venv-python -m pytest -q"
    assert {"ruff check .", "ruff format --check ."} <= set(lines)


def test_second_run_with_nothing_changed_installs_nothing(checkout):
    run(checkout)
    lines = run(checkout)
    assert pip_calls(lines) == [] and not any(line.startswith("python3") for line in lines)
    if Path("/usr/share/fonts/truetype/noto").is_dir():
        assert not any(line.startswith(("apt-get", "sudo")) for line in lines)
    assert lines[-1] == "venv-python -m pytest -q"


def test_a_changed_pyproject_installs_fieldkit_again_but_not_pip(checkout):
    run(checkout)
    pyproject = checkout[0] / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a new dependency\n")
    assert pip_calls(run(checkout)) == ["venv-python -m pip install -q -e .[test,desktop]"]


def test_a_venv_that_lost_fieldkit_installs_it_again(checkout):
    run(checkout)
    (checkout[0] / ".venv" / "installed").unlink()
    assert pip_calls(run(checkout)) == ["venv-python -m pip install -q -e .[test,desktop]"]


def test_a_missing_system_package_is_installed_with_apt(checkout):
    run(checkout)
    lines = run(checkout, missing="libnss3")
    installs = [line for line in lines if line.startswith("apt-get") and " install " in line]
    assert len(installs) == 1 and installs[0].endswith("libnss3")
    assert pip_calls(lines) == []


def test_ci_runs_the_setup_script():
    assert "exec scripts/test" in (ROOT / ".ci" / "run").read_text()
    assert os.access(ROOT / "scripts" / "test", os.X_OK)
