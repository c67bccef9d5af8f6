"""The web app: today's edition, the archive, stories, outlets, the desk, and a JSON API.

`create_app(config, engine)` returns the FastAPI application; `entrelignes serve` runs it.
"""

from entrelignes.web.app import create_app

__all__ = ["create_app"]
