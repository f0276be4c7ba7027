"""Texts that can be shown in more than one language: the English sentence as a ``str``, plus the code and the
parameters it was built from.

A :class:`Text` is a ``str`` (the English, unchanged wherever a string is expected: JSON, the CLI, ``==``), so
code that only needs English never notices it. A presenter that writes another language looks up ``text.code``
in its own catalogue (the report's German: :mod:`selloff.report.texts_de`) and renders ``text.args`` there; a
parameter may itself be a :class:`Text` (an alignment inside a measure, an error inside a note).

Make one where the sentence is made, never by translating the English afterwards::

    Text("spill_only", f"only {n} aligned sessions; the spillover VAR needs {k}", n=n, k=k)

Concatenating or formatting a Text gives a plain ``str`` again (the code is lost); the report's tests find such
texts because they have no German.
"""
from __future__ import annotations

from typing import Any

__all__ = ["Text", "reason_of"]


def _make(code: str, en: str, args: dict[str, Any]) -> "Text":
    return Text(code, en, **args)


class Text(str):
    """The English ``en`` (as the str value) with the ``code`` of its sentence and the ``args`` it was built from."""

    code: str
    args: dict[str, Any]

    def __new__(cls, code: str, en: str, **args: Any) -> "Text":
        s = super().__new__(cls, en)
        s.code = code
        s.args = dict(args)
        return s

    def __reduce__(self):  # pickling (figure processes) keeps code and args
        return (_make, (self.code, str(self), self.args))

    def __copy__(self) -> "Text":
        return self

    def __deepcopy__(self, memo: dict) -> "Text":  # immutable like str (dataclasses.asdict deep-copies fields)
        return self


def reason_of(exc: BaseException) -> str:
    """The message of ``exc``: its :class:`Text` when it was raised with one, else its one-line ``str``."""
    msg = exc.args[0] if exc.args else None
    return msg if isinstance(msg, Text) else str(exc)
