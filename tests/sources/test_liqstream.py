"""Live liquidations: ccxt.pro Binance against a local websockets server replaying forceOrder frames,
with a dropped connection in between (the recorder reconnects and keeps every event once)."""
from __future__ import annotations

import asyncio
import json

import pandas as pd
import websockets

from selloff.sources import exchanges as ex_mod
from selloff.sources.liqstream import LiquidationRecorder
from tests.sources.test_exchanges import INFO

T = 1770249600000  # 2026-02-05T00:00Z


def force_order(ms: int, side: str, qty: str, price: str) -> str:
    return json.dumps({"e": "forceOrder", "E": ms + 2, "o": {"s": "TAOUSDT", "S": side, "o": "LIMIT", "f": "IOC", "q": qty,
                       "p": price, "ap": price, "X": "FILLED", "l": qty, "z": qty, "T": ms}})


def test_recorder_survives_a_dropped_connection(httpserver):
    httpserver.expect_request("/fapi/v1/exchangeInfo").respond_with_json(INFO)
    connections = []

    async def handler(ws):
        connections.append(ws)
        sub = json.loads(await ws.recv())
        await ws.send(json.dumps({"result": None, "id": sub["id"]}))
        if len(connections) == 1:
            await ws.send(force_order(T + 1_000, "SELL", "10", "200"))   # long liquidated, 2000 USD
            await ws.send(force_order(T + 2_000, "BUY", "5", "200"))     # short liquidated, 1000 USD
            await asyncio.sleep(0.2)
            await ws.close()                                              # dropped connection
            return
        await ws.send(force_order(T + 61_000, "SELL", "1", "250"))        # next minute, long 250 USD
        await asyncio.sleep(1.5)

    written = []

    async def main():
        async with websockets.serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            ex = ex_mod.make_exchange("binance", pro=True, rest_base=httpserver.url_for("/").rstrip("/"),
                                      ws_base=f"ws://127.0.0.1:{port}", market_types=["linear"])
            rec = LiquidationRecorder(ex, {"TAO/USDT:USDT": "TAO"}, written.append, flush_s=0.2, backoff_s=0.05)
            return await rec.run(duration_s=1.2)

    stats = asyncio.run(main())
    assert len(connections) >= 2 and stats.reconnects >= 1
    rows = pd.concat(written).drop_duplicates(["asset", "ts"], keep="last").set_index("ts")
    m0, m1 = pd.Timestamp(T, unit="ms", tz="UTC"), pd.Timestamp(T + 60_000, unit="ms", tz="UTC")
    assert rows.loc[m0, "liq_long_usd"] == 2000.0 and rows.loc[m0, "liq_short_usd"] == 1000.0
    assert rows.loc[m1, "liq_long_usd"] == 250.0
    assert stats.events == 3
    assert rows["coverage"].str.contains("undercount").all() and (rows["source"] == "binance/liq-stream").all()
