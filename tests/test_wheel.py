"""A wheel built from the checkout carries the data files: installed in a fresh venv, it lists the specs."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installed_elsewhere_lists_the_specs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True, timeout=300)
    wheel = next(dist.glob("conformance-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # the fresh venv borrows the dependencies (not the project) from the test venv, then gets the wheel
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run([str(python), "-c", "import conformance; print(conformance.__file__)"], cwd=outside,
                           capture_output=True, text=True, check=True).stdout
    assert str(site) in where
    result = subprocess.run([str(python), "-m", "conformance", "specs", "list"], cwd=outside, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "loyaltyCreditMulti" in result.stdout
    assert "# total:" in result.stdout
    console = subprocess.run([str(python), "-c", "from conformance.console.app import _env; "
                              "print(_env().get_template('login.html').render(prefix='/_ui'))"],
                             cwd=outside, capture_output=True, text=True, timeout=120)
    assert console.returncode == 0 and 'action="/_ui/login"' in console.stdout, console.stderr  # templates ship
