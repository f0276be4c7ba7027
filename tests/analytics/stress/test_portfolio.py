"""Portfolio rows, bad input, the margin-call distance by hand."""
import pytest

from selloff.analytics.stress.portfolio import equal_weight, margin_call_move, portfolio_from_records
from selloff.errors import ConfigError


def test_weights_and_leverage_give_exposures():
    p = portfolio_from_records([{"asset": "btc", "weight": 0.6, "leverage": 3}, {"asset": "TAO", "weight": 0.4}])
    assert p.assets == ("BTC", "TAO") and p.exposures == pytest.approx((1.8, 0.4))


def test_quantities_are_valued_at_prices():
    p = portfolio_from_records([{"asset": "BTC", "quantity": 1}, {"asset": "TAO", "quantity": -100}],
                               prices={"BTC": 60_000.0, "TAO": 200.0})
    assert p.value_usd == 80_000 and [x.weight for x in p.positions] == pytest.approx([0.75, -0.25])
    # 1 BTC at 60,000 with 3x leverage needs 20,000 of margin; 100 TAO short unlevered 20,000: equity 40,000
    q = portfolio_from_records([{"asset": "BTC", "quantity": 1, "leverage": 3}, {"asset": "TAO", "quantity": -100}],
                               prices={"BTC": 60_000.0, "TAO": 200.0})
    assert q.value_usd == 40_000 and q.exposures == pytest.approx((1.5, -0.5))


@pytest.mark.parametrize("rows,match", [
    ([], "empty"),
    ([{"asset": "BTC", "weight": 1, "leverage": 0}], "leverage = 0 must be > 0"),
    ([{"asset": "BTC", "weight": 1, "leverage": -2}], "must be > 0"),
    ([{"asset": "BTC", "weight": 1}, {"asset": "btc", "weight": 1}], "twice"),
    ([{"asset": "BTC"}], "exactly one of weight or quantity"),
    ([{"asset": "BTC", "weight": 1, "quantity": 2}], "exactly one"),
    ([{"asset": "BTC", "weight": "x"}], "not a number"),
    ([{"asset": "BTC", "weight": 0}], "every weight is zero"),
    ([{"asset": "BTC", "quantity": 1}], "no stored price"),
    ([{"asset": "BTC", "weight": 1, "lev": 2}], "unknown field"),
    ([{"asset": "BTC", "weight": 1}, {"asset": "ETH", "quantity": 1}], "mixes"),
])
def test_bad_portfolios_are_one_line_errors(rows, match):
    with pytest.raises(ConfigError, match=match) as e:
        portfolio_from_records(rows, "p.toml")
    assert "\n" not in str(e.value)


def test_equal_weight():
    p = equal_weight(["TAO", "NEAR", "TAO"])
    assert p.assets == ("TAO", "NEAR") and sum(p.exposures) == pytest.approx(1)
    with pytest.raises(ConfigError, match="empty"):
        equal_weight([])


def test_margin_call_move_by_hand():
    # long 10x, maintenance margin 0.5 %: liquidation at EP (1 - 0.1) / 0.995 -> -9.5477 %
    assert margin_call_move(10, 0.005) == pytest.approx(0.9 / 0.995 - 1)
    assert margin_call_move(10, 0.005) * 100 == pytest.approx(-9.5477, abs=1e-4)
    # short 5x: EP (1 + 0.2) / 1.005 -> +19.403 %
    assert margin_call_move(5, 0.005, short=True) == pytest.approx(1.2 / 1.005 - 1)
    assert margin_call_move(1, 0.005) == pytest.approx(-1.0)  # unlevered long is never called
