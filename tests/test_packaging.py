"""A wheel, what a server installs, carries every data file the code reads at run time."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_wheel_carries_the_run_time_data_files(tmp_path: Path) -> None:
    # build from a copy: a stale build/ folder in the checkout would hide a missing file
    src = tmp_path / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*_cache", "*.db"
        ),
    )
    out = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps"]
    subprocess.run(
        [*pip, str(src), "-w", str(out)],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("replywatch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    needed = {
        "monitor/starter.yaml",
        "monitor/migrations/env.py",
        "monitor/migrations/script.py.mako",
        "classifiers/models/offline.npz",
    }
    needed |= {f"monitor/templates/{lang}.yaml" for lang in ("en", "fa", "ar", "tl")}
    needed |= {
        p.relative_to(REPO).as_posix() for p in (REPO / "monitor/migrations/versions").glob("*.py")
    }
    assert needed <= names, sorted(needed - names)
    # nothing of the checkout's tests, demo or shared data goes into the package
    assert not [n for n in names if n.startswith(("tests/", "config/", "bench/"))]
