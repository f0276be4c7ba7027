"""Analytics: pure functions of frames (no I/O). See docs/CONVENTIONS.md."""
