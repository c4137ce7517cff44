"""The ceiling of this stack: uvicorn + Starlette, parse the JSON body, answer a fixed JSON body.

`python bench/bare.py PORT` (127.0.0.1 only). No validation, no state, no log.
"""

from __future__ import annotations

import json
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def answer(request: Request) -> JSONResponse:
    raw = await request.body()
    if raw:
        json.loads(raw)
    return JSONResponse({"ok": True, "balance": "10.00"})


app = Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST", "PUT", "DELETE"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
