"""The pipeline: the only read-side code that touches the store.

For a request (sector, window, config) it loads the evidence once per table into a
:class:`~selloff.analytics.panel.Panel`, calls the pure analytics and returns typed, frozen results. Every
interface — CLI, Python API (:mod:`selloff.api`), and the web service and watch mode built on it — calls these
functions; none reads the store itself.
"""
