"""The dashboard's words in English and German, and how a request picks its language."""
from __future__ import annotations

__all__ = ["LANGS", "TEXT", "pick_lang"]

LANGS = ("en", "de")

TEXT = {
    "en": {
        "title": "selloff dashboard", "board": "Market board", "sectors": "Sectors", "episodes": "Sell-off episodes",
        "check": "Claim check", "stress": "Stress", "alerts": "Alerts", "api_docs": "API",
        "simulated": "SIMULATED DATA — not real market prices",
        "sector": "Sector", "members": "Members", "episode": "Episode", "start": "Start", "end": "End",
        "worst_day": "Worst day", "worst_day_pct": "Worst day %", "worst_day_z": "Worst day σ", "depth_pct": "Depth %",
        "max_breadth": "Max breadth", "days": "Days", "no_episodes": "No sell-off episode detected.",
        "last_episode": "Last episode", "n_episodes": "Episodes", "open": "open",
        "date": "Day (UTC)", "index": "Sector index", "rebased": "rebased", "index_title": "Sector index, episodes shaded",
        "move_1d": "1-day move", "members_title": "Members' moves on the day", "spill_title": "Spillover (Diebold-Yilmaz), % of forecast-error variance",
        "spill_hover": "from %{x} to %{y}: %{z:.1f} %<extra></extra>", "dep_title": "Dependency graph: token → what it depends on",
        "corr": "corr. with basket", "tokens": "tokens", "depends_on": "depends on",
        "sector_move": "Sector move", "sigma": "σ (EWMA)", "breadth": "Breadth", "weighting": "Weighting",
        "btc": "BTC", "liquidations": "Liquidations", "filter": "Filter members…", "asset": "Asset", "name": "Name",
        "ret_1d": "1d %", "z_1d": "σ", "close": "Close", "mcap_usd": "Market cap (USD)", "contribution": "Contribution (pp)",
        "spillover": "Spillover", "dependency": "Dependency", "notes": "Notes", "left_out": "left out",
        "partial_corr_missing": "Partial correlations are not computed yet (selloff explain has raw correlation and beta only); the graph shows raw correlation.",
        "report": "Report", "downloads": "Downloads", "findings": "Findings",
        "check_intro": "Paste a news text: every numeric claim is extracted and checked against the store.",
        "text": "Text", "pub_date": "Publication date (YYYY-MM-DD, optional)", "language": "Language",
        "auto": "detect", "submit": "Check", "claims": "Claims", "status": "Verdict", "claimed": "Claimed",
        "data": "Data", "window": "Window / measure", "reason": "Reason", "no_claims": "No numeric claim found.",
        "error": "Error", "not_landed": "This page needs a part of selloff that is not in this build yet.",
        "docs_intro": "Every page has a JSON twin. The machine-readable schema is", "method": "Method", "path": "Path",
        "summary": "What it returns", "widgets": "OpenBB Workspace widgets", "store": "Store",
        "starts_at": "Fired (UTC)", "ends_at": "Resolved (UTC)", "alert_status": "Status", "severity": "Severity",
        "rule": "Rule", "summary_col": "Summary", "delivery": "Delivery", "inhibited_by": "inhibited by",
        "no_alerts": "No alert stored (selloff watch writes them).", "all_alerts": "All alerts", "channels": "Channel health",
        "sink": "Sink", "last_success": "Last success", "last_error": "Last error", "no_channels": "No delivery made yet.",
        "rules": "Rules", "kind": "Kind", "for_s": "Hold (s)", "cooldown_s": "Cool-down (s)", "description": "Description",
        "no_watch_tables": "This store predates the alert tables; open it once writable (e.g. selloff watch) to add them.",
    },
    "de": {
        "title": "selloff-Dashboard", "board": "Marktübersicht", "sectors": "Sektoren", "episodes": "Ausverkaufsphasen",
        "check": "Faktencheck", "stress": "Stresstest", "alerts": "Alarme", "api_docs": "API",
        "simulated": "SIMULIERTE DATEN — keine echten Marktpreise",
        "sector": "Sektor", "members": "Mitglieder", "episode": "Phase", "start": "Beginn", "end": "Ende",
        "worst_day": "Schlechtester Tag", "worst_day_pct": "Schlechtester Tag %", "worst_day_z": "Schlechtester Tag σ",
        "depth_pct": "Tiefe %", "max_breadth": "Max. Breite", "days": "Tage", "no_episodes": "Keine Ausverkaufsphase erkannt.",
        "last_episode": "Letzte Phase", "n_episodes": "Phasen", "open": "öffnen",
        "date": "Tag (UTC)", "index": "Sektorindex", "rebased": "umbasiert", "index_title": "Sektorindex, Phasen schattiert",
        "move_1d": "Tagesbewegung", "members_title": "Bewegung der Mitglieder am Tag", "spill_title": "Spillover (Diebold-Yilmaz), % der Prognosefehlervarianz",
        "spill_hover": "von %{x} zu %{y}: %{z:.1f} %<extra></extra>", "dep_title": "Abhängigkeitsgraph: Token → wovon er abhängt",
        "corr": "Korr. mit Korb", "tokens": "Token", "depends_on": "hängt ab von",
        "sector_move": "Sektorbewegung", "sigma": "σ (EWMA)", "breadth": "Breite", "weighting": "Gewichtung",
        "btc": "BTC", "liquidations": "Liquidationen", "filter": "Mitglieder filtern…", "asset": "Asset", "name": "Name",
        "ret_1d": "1 T. %", "z_1d": "σ", "close": "Schluss", "mcap_usd": "Marktkap. (USD)", "contribution": "Beitrag (Pp.)",
        "spillover": "Spillover", "dependency": "Abhängigkeit", "notes": "Hinweise", "left_out": "ausgelassen",
        "partial_corr_missing": "Partielle Korrelationen werden noch nicht berechnet (selloff explain liefert nur einfache Korrelation und Beta); der Graph zeigt die einfache Korrelation.",
        "report": "Bericht", "downloads": "Downloads", "findings": "Befunde",
        "check_intro": "Nachrichtentext einfügen: jede Zahlenangabe wird extrahiert und mit dem Datenbestand geprüft.",
        "text": "Text", "pub_date": "Erscheinungsdatum (JJJJ-MM-TT, optional)", "language": "Sprache",
        "auto": "erkennen", "submit": "Prüfen", "claims": "Angaben", "status": "Urteil", "claimed": "Behauptet",
        "data": "Daten", "window": "Fenster / Maß", "reason": "Begründung", "no_claims": "Keine Zahlenangabe gefunden.",
        "error": "Fehler", "not_landed": "Diese Seite braucht einen Teil von selloff, der in diesem Stand noch fehlt.",
        "docs_intro": "Jede Seite hat ein JSON-Gegenstück. Das maschinenlesbare Schema ist", "method": "Methode", "path": "Pfad",
        "summary": "Was sie liefert", "widgets": "OpenBB-Workspace-Widgets", "store": "Datenbestand",
        "starts_at": "Ausgelöst (UTC)", "ends_at": "Beendet (UTC)", "alert_status": "Status", "severity": "Schwere",
        "rule": "Regel", "summary_col": "Zusammenfassung", "delivery": "Zustellung", "inhibited_by": "unterdrückt durch",
        "no_alerts": "Kein Alarm gespeichert (selloff watch schreibt sie).", "all_alerts": "Alle Alarme", "channels": "Zustand der Kanäle",
        "sink": "Kanal", "last_success": "Letzter Erfolg", "last_error": "Letzter Fehler", "no_channels": "Noch keine Zustellung.",
        "rules": "Regeln", "kind": "Art", "for_s": "Haltezeit (s)", "cooldown_s": "Abkühlzeit (s)", "description": "Beschreibung",
        "no_watch_tables": "Dieser Datenbestand ist älter als die Alarmtabellen; einmal beschreibbar öffnen (z. B. selloff watch), um sie anzulegen.",
    },
}


def pick_lang(query: str | None, cookie: str | None) -> str | None:
    """The language a request asks for: ``?lang=`` first, then the ``lang`` cookie, else English. None when
    ``?lang=`` names a language the dashboard does not have (the caller answers 400)."""
    if query is not None:
        return query if query in LANGS else None
    return cookie if cookie in LANGS else "en"
