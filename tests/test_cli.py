"""The command line and the invoke tasks as a newcomer uses them."""
import subprocess
import sys

from support.site import ROOT


def test_invoke_list_explains_every_task():
    listing = subprocess.run([sys.executable, "-m", "invoke", "--list"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    for name in ("build", "rebuild", "clean", "serve", "livereload", "test"):
        line = next(l for l in listing.splitlines() if l.strip().startswith(name + " "))
        assert len(line.split(None, 1)[1]) > 10, f"{name} has a one-line description"


def test_build_failure_exit_code_and_summary(tmp_path):
    run = subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 1
    assert "pelicanconf.py: settings file not found" in run.stderr and "Traceback" not in run.stderr
