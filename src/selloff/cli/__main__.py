"""``python -m selloff.cli``: the command line."""
from selloff.cli import app

app()
