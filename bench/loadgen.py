"""The one load generator every target gets: wrk (C, one thread, keep-alive), driven by a generated Lua
script that replays a request list (each request once when they must be unique) and writes its figures as
JSON. Loopback only. Without wrk the figures are not taken (install it: `apt-get install wrk`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from targets import Request

LUA = r"""
local list = dofile("%(requests)s")
local i = 0
request = function()
  i = i + 1
  if i > #list then i = 1 end
  local r = list[i]
  return wrk.format(r[1], r[2], r[3], r[4])
end
done = function(summary, latency, requests)
  local f = io.open("%(out)s", "w")
  local e = summary.errors
  f:write(string.format('{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, '
    .. '"mean_us": %%f, "connect_errors": %%d, "read_errors": %%d, "write_errors": %%d, "status_errors": %%d, '
    .. '"timeouts": %%d}', summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
  f:close()
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    level = "=" * 4
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def _lua_table(requests: list[Request], prefix: str) -> str:
    """A Lua chunk returning the request list; built in functions of 2,000 rows (LuaJIT allows 65,536 constants
    per function)."""
    rows = []
    for r in requests:
        headers = ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in r.headers.items())
        body = _lua_string(r.body) if r.body else "nil"
        rows.append(f"{{{_lua_string(r.method)}, {_lua_string(prefix + r.path)}, {{{headers}}}, {body}}}")
    parts = ["local list = {}"]
    for start in range(0, len(rows), 2000):
        chunk = rows[start:start + 2000]
        body = "\n".join(f"list[#list + 1] = {row}" for row in chunk)
        parts.append(f"do local function fill()\n{body}\nend fill() end")
    return "\n".join(parts) + "\nreturn list\n"


def run(origin: str, prefix: str, requests: list[Request], *, connections: int, seconds: float) -> dict[str, Any]:
    """wrk -t1 -c`connections` for `seconds` against `origin`; requests/s, latency percentiles (ms), errors."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as scratch:
        folder = Path(scratch)
        (folder / "requests.lua").write_text(_lua_table(requests, prefix))
        out = folder / "out.json"
        (folder / "script.lua").write_text(LUA % {"requests": folder / "requests.lua", "out": out})
        done = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                str(folder / "script.lua"),
                origin,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
        if not out.exists():
            raise RuntimeError(f"wrk wrote no figures: {done.stderr.strip()[:300]}")
        raw = json.loads(out.read_text())
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
    return {
        "rps": round(raw["requests"] / seconds_run, 1),
        "requests": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": errors,
        "status_errors": raw["status_errors"],
        "connections": connections,
    }
