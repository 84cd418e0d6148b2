"""Seasonal demand forecasting: enquiries and bookings per vendor type x region x wedding month.

`history` turns enquiries into "on the books" snapshots, `methods` holds the forecasters
(seasonal naive, pickup, boosted), `backtest` judges them by rolling origin, and `publish`
logs the backtest to MLflow and writes `predictions.demand_forecast`.
"""
