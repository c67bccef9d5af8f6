import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "store"))

from pg_cluster import postgres_cluster, store_url  # noqa: E402,F401 - fixtures: the saved state on SQLite and PostgreSQL
