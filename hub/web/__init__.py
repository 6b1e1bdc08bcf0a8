"""The dashboard, `hub serve`: server-rendered pages over the store, access by role.

Needs the `web` extra (Starlette, Jinja2, uvicorn, argon2-cffi). ECharts
(Apache-2.0, see static/echarts.LICENSE.txt) is shipped in static/, so the
pages work offline.
"""
