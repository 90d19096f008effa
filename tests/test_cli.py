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


def test_without_output_the_site_builds_where_its_settings_say(tmp_path):
    from support.site import make_site

    settings = (ROOT / "pelicanconf.py").read_text()
    assert 'OUTPUT_PATH = "build"' in settings          # the demo, ./dev and CI build into build/
    site = make_site(tmp_path, {
        "pelicanconf.py": settings.replace('OUTPUT_PATH = "build"', 'OUTPUT_PATH = "output"'),
        # front matter as other Pelican sites write it, between --- lines
        "content/articles/a.md": "---\nTitle: A\nDate: 2026-01-01\nSummary: s\n---\n\nFine.\n",
    })
    built = site.build()
    assert built.code == 0, built.stderr
    assert (tmp_path / "output" / "index.html").is_file() and not (tmp_path / "build").exists()
    assert "into output/" in built.stdout
    assert site.build("--output", "elsewhere").code == 0 and (tmp_path / "elsewhere" / "index.html").is_file()


def test_settings_output_is_pelicans_output_path(tmp_path):
    from islet.build.driver import settings_output

    (tmp_path / "conf").mkdir()
    cases = {"": "output", "OUTPUT_PATH = 'public'\n": "public", "OUTPUT_PATH = 'a/../b/'\n": "b",
             "OUTPUT_PATH = '../next-door'\n": str(tmp_path.parent.resolve() / "next-door"),
             "raise RuntimeError('broken')\n": "output", "OUTPUT_PATH = None\n": "output"}
    for text, output in cases.items():
        (tmp_path / "pelicanconf.py").write_text(text)
        assert settings_output(tmp_path, "pelicanconf.py") == output, text
    (tmp_path / "conf" / "site.py").write_text("OUTPUT_PATH = 'out'\n")     # relative to the settings file's folder
    assert settings_output(tmp_path, "conf/site.py") == "conf/out"
    assert settings_output(tmp_path, "missing.py") == "output"


def test_an_output_folder_holding_the_site_is_refused(tmp_path):
    (tmp_path / "pelicanconf.py").write_text("OUTPUT_PATH = '.'\n")
    (tmp_path / "keep.txt").write_text("mine")
    run = subprocess.run([sys.executable, "-m", "islet", "build", "--root", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("pelicanconf.py: the output folder '.' holds the site folder"), run.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_the_test_task_passes_a_k_expression_and_no_browser_to_pytest_as_given():
    """`./dev test --no-browser -k "a and b"` (invoke's test task): the expression is one argument."""
    run = subprocess.run([sys.executable, "-m", "invoke", "test", "--no-browser", "-k",
                          "test_invoke_list_explains_every_task and not nothing_matches_this"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "-m 'not browser'" in run.stdout + run.stderr and "1 passed" in run.stdout
