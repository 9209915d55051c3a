"""Customer-lifetime models fitted by maximum likelihood: BG/NBD (purchases and dropout) and Gamma-Gamma (spend).

Written from the papers, with numpy and scipy only:
- Fader, Hardie and Lee (2005), "Counting your customers the easy way: an alternative to the Pareto/NBD
  model", Marketing Science 24(2): likelihood (eq. 6), P(alive) (appendix), conditional expectation (eq. 10).
- Fader, Hardie and Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis", JMR 42(4),
  and Fader and Hardie (2013), "The Gamma-Gamma model of monetary value": likelihood and E(M | x, mbar).

Inputs are the "buy till you die" summary columns of `user_facts`, per day: frequency x (repeat purchase days),
recency t_x (days from first to last purchase day), T (days from first purchase day to D) and monetary value
(mean net amount of the repeat purchase days). `tests/python/test_clv.py` checks every function against the
`lifetimes` package at the same parameters, and the fit against the published CDNOW parameters.

The dbt Python models `clv_model_fit`, `user_predictions` and `clv_backtest` call this module; it never raises
on data it cannot fit: `fit_bg_nbd` / `fit_gamma_gamma` return a `Fit` whose `status` says why there are no
parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

BG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "v")


@dataclass
class Fit:
    """One model's fit: parameters by name (empty when not fitted), and why not."""

    model: str
    status: str  # "fitted", or the reason there are no parameters
    params: dict[str, float] = field(default_factory=dict)
    customers: int = 0
    log_likelihood: float | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "fitted"


def _grouped(frame: pd.DataFrame, columns: list[str]) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct rows of `columns` and how often each occurs (integer days repeat a lot: far fewer terms)."""
    counts = frame.groupby(columns, sort=True).size()
    index = counts.index.to_frame(index=False)
    return [index[c].to_numpy(dtype=float) for c in columns], counts.to_numpy(dtype=float)


def _mean(values: pd.Series) -> float:
    """The mean, exactly rounded whatever the rows' order (a start value summed in row order moved the
    fit's last digits between two builds of the same data: the warehouse hands rows in no fixed order)."""
    return math.fsum(values.to_numpy(dtype=float)) / len(values) if len(values) else float("nan")


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A column's distinct values and each row's position among them."""
    distinct, position = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    return distinct, position.reshape(-1)


class _BgNbdLikelihood:
    """Each customer's log-likelihood under BG/NBD (Fader, Hardie and Lee 2005, eq. 6), for many parameter sets.

    A term of one column (the gamma and beta functions of x, the logarithms of alpha + T and alpha + t_x)
    is computed once per distinct value of that column and gathered: x, t_x and T are whole days, so each
    of the optimiser's hundreds of evaluations costs a few array operations per customer. Per customer, the
    arithmetic is the formula's, in the same order.
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray):
        self.x, self.x_at = _distinct(x)
        self.t_x, self.t_x_at = _distinct(t_x)
        self.big_t, self.big_t_at = _distinct(big_t)
        self.repeat = (self.x > 0)[self.x_at]

    def __call__(self, params: np.ndarray) -> np.ndarray:
        r, alpha, a, b = params
        x, at = self.x, self.x_at
        base = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
                + special.betaln(a, b + x) - special.betaln(a, b))[at]
        r_x = (r + x)[at]
        still_alive = -r_x * np.log(alpha + self.big_t)[self.big_t_at]
        # the second term exists only for repeat buyers: dropped out right after the last purchase
        with np.errstate(divide="ignore", invalid="ignore"):
            dropping = (np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)))[at]
            dropped = np.where(self.repeat, dropping - r_x * np.log(alpha + self.t_x)[self.t_x_at], -np.inf)
        return base + np.logaddexp(still_alive, dropped)

    def gradient(self, params: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each customer's log-likelihood and its derivatives by r, alpha, a and b.

        The likelihood is base(x) + log(exp(S) + exp(D)), S = -(r + x) log(alpha + T) (still alive),
        D = log a - log(b + x - 1) - (r + x) log(alpha + t_x) (dropped out; repeat buyers only). The
        derivative of the log-sum is each term's derivative weighted by its share exp(S - L), exp(D - L);
        base's are digamma differences. `tests/python/test_clv.py` checks them against finite differences.
        """
        r, alpha, a, b = params
        x, at, big_t_at, t_x_at = self.x, self.x_at, self.big_t_at, self.t_x_at
        log_alpha_big_t, log_alpha_t_x = np.log(alpha + self.big_t), np.log(alpha + self.t_x)
        r_x = (r + x)[at]
        still_alive = -r_x * log_alpha_big_t[big_t_at]
        with np.errstate(divide="ignore", invalid="ignore"):
            dropping = np.log(a) - np.log(np.maximum(b + x - 1, 1e-300))
            dropped = np.where(self.repeat, dropping[at] - r_x * log_alpha_t_x[t_x_at], -np.inf)
            per_drop = np.where(x > 0, 1.0 / (b + x - 1), 0.0)
        log_sum = np.logaddexp(still_alive, dropped)
        alive_share, dropped_share = np.exp(still_alive - log_sum), np.exp(dropped - log_sum)
        base = (special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
                + special.betaln(a, b + x) - special.betaln(a, b))[at]
        psi = special.digamma
        by_r = ((psi(r + x) - psi(r) + np.log(alpha))[at]
                - alive_share * log_alpha_big_t[big_t_at] - dropped_share * log_alpha_t_x[t_x_at])
        by_alpha = r / alpha - r_x * (alive_share / (alpha + self.big_t)[big_t_at]
                                      + dropped_share / (alpha + self.t_x)[t_x_at])
        by_a = (psi(a + b) - psi(a + b + x))[at] + dropped_share / a
        by_b = (psi(b + x) - psi(a + b + x) - psi(b) + psi(a + b))[at] - dropped_share * per_drop[at]
        return base + log_sum, [by_r, by_alpha, by_a, by_b]


def bg_nbd_log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """Each customer's log-likelihood under BG/NBD (Fader, Hardie and Lee 2005, eq. 6)."""
    return _BgNbdLikelihood(x, t_x, big_t)(params)


class _GammaGammaLikelihood:
    """Each repeat buyer's log-likelihood of the mean spend m over x repeat purchases (Gamma-Gamma).

    As for BG/NBD: the terms of x alone once per distinct x, log m once per buyer, the formula's order.
    """

    def __init__(self, x: np.ndarray, m: np.ndarray):
        self.x, self.x_at = _distinct(x)
        self.rows_x = self.x[self.x_at]
        self.m = np.asarray(m, dtype=float)
        self.log_m = np.log(self.m)
        self.log_x = np.log(self.x)

    def __call__(self, params: np.ndarray) -> np.ndarray:
        p, q, v = params
        x, at = self.x, self.x_at
        of_x = (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v))[at]
        p_x = (p * x)[at]
        return of_x + (p_x - 1) * self.log_m + (p * x * self.log_x)[at] - (p_x + q) * np.log(self.rows_x * self.m + v)

    def gradient(self, params: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each buyer's log-likelihood and its derivatives by p, q and v (digamma for the gamma functions)."""
        p, q, v = params
        x, at = self.x, self.x_at
        psi = special.digamma
        p_x = (p * x)[at]
        log_total = np.log(self.rows_x * self.m + v)
        by_p = self.rows_x * ((psi(p * x + q) - psi(p * x))[at] + self.log_m + self.log_x[at] - log_total)
        by_q = (psi(p * x + q) - psi(q))[at] + np.log(v) - log_total
        by_v = q / v - (p_x + q) / (self.rows_x * self.m + v)
        return self(params), [by_p, by_q, by_v]


def gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Each repeat buyer's log-likelihood of the mean spend m over x repeat purchases (Gamma-Gamma)."""
    return _GammaGammaLikelihood(x, m)(params)


def _negative_log_likelihood(likelihood, weight: np.ndarray):
    """The weighted negative log-likelihood over log-parameters (all parameters are positive), and the
    same with its gradient (the chain rule: d/d log theta = theta d/d theta); 1e300 where not finite."""

    def value(log_params: np.ndarray) -> float:
        total = -np.sum(weight * likelihood(np.exp(log_params)))
        return float(total) if np.isfinite(total) else 1e300

    def value_and_gradient(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        per_row, by_param = likelihood.gradient(params)
        total = -np.sum(weight * per_row)
        slope = -np.array([np.sum(weight * column) for column in by_param]) * params
        if not (np.isfinite(total) and np.all(np.isfinite(slope))):
            return 1e300, np.zeros_like(log_params)
        return float(total), slope

    return value, value_and_gradient


def _maximise(negative_ll, start: np.ndarray, value_and_gradient=None) -> optimize.OptimizeResult:
    """Minimises over log-parameters: quasi-Newton with the exact gradient; without one, or when it stops
    short of convergence, quasi-Newton on finite differences and a simplex polish.

    With the exact gradient, L-BFGS-B reaches the optimum in a few dozen evaluations (the relative
    change of the log-likelihood under 1e-15, about its rounding): ~0.07 s a fit at 12 months of
    `medium`, where finite differences and the polish took ~500 evaluations (0.5 s), to the same
    log-likelihood. The polish gets scipy's own budget of 200 evaluations per parameter. A polish that
    converges does so in a few hundred; one that does not is stuck in the rounding noise of a large
    log-likelihood (|f| ~ 1e5 has no 1e-12 steps) and more evaluations only cost time (40,000
    were ~100 s per fit at `medium`) without moving the parameters beyond that noise.
    """
    if value_and_gradient is not None:
        exact = optimize.minimize(value_and_gradient, start, jac=True, method="L-BFGS-B",
                                  options={"ftol": 1e-15, "gtol": 1e-6, "maxiter": 1000})
        # a line search that cannot lower the rounded log-likelihood any more also ends there: taken
        # when the gradient is a millionth of the start's or less
        flat = np.max(np.abs(exact.jac)) <= 1e-6 * np.max(np.abs(value_and_gradient(start)[1]))
        if exact.fun < 1e300 and (exact.success or flat):
            exact.success = True
            return exact
    first = optimize.minimize(negative_ll, start, method="L-BFGS-B")
    budget = 200 * len(start)
    polished = optimize.minimize(negative_ll, first.x, method="Nelder-Mead",
                                 options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": budget, "maxfev": budget})
    best = polished if polished.fun <= first.fun else first
    best.success = bool(polished.success or first.success)
    return best


def fit_bg_nbd(frame: pd.DataFrame, min_customers: int, min_repeat_customers: int) -> Fit:
    """BG/NBD by maximum likelihood on columns frequency, recency, T (one row per buyer, in days)."""
    data = frame[["frequency", "recency", "T"]].dropna()
    n, repeaters = len(data), int((data["frequency"] > 0).sum())
    if n < min_customers or repeaters < min_repeat_customers:
        return Fit("bg_nbd", "too_few_buyers", customers=n,
                   message=f"{n} buyers ({repeaters} repeat buyers); the fit needs at least {min_customers} "
                           f"buyers and {min_repeat_customers} repeat buyers (seeds/seg_thresholds.csv)")
    (x, t_x, big_t), weight = _grouped(data, ["frequency", "recency", "T"])
    negative_ll, with_gradient = _negative_log_likelihood(_BgNbdLikelihood(x, t_x, big_t), weight)
    # start near the data's own scale: alpha is in the unit of T
    start = np.log([1.0, max(_mean(data["T"]), 1.0), 1.0, 1.0])
    result = _maximise(negative_ll, start, with_gradient)
    params = np.exp(result.x)
    if not (result.success and np.all(np.isfinite(params)) and result.fun < 1e300):
        return Fit("bg_nbd", "not_converged", customers=n, message=f"the optimiser stopped: {result.message}")
    if abs(params[2] - 1.0) < 1e-9:
        return Fit("bg_nbd", "not_converged", customers=n, message="a = 1: expected purchases are undefined")
    return Fit("bg_nbd", "fitted", dict(zip(BG_NBD_PARAMETERS, map(float, params), strict=True)),
               customers=n, log_likelihood=-float(result.fun))


def fit_gamma_gamma(frame: pd.DataFrame, min_repeat_customers: int) -> Fit:
    """Gamma-Gamma by maximum likelihood on repeat buyers' frequency and monetary_value."""
    data = frame.loc[(frame["frequency"] > 0) & (frame["monetary_value"] > 0), ["frequency", "monetary_value"]]
    n = len(data)
    if n < min_repeat_customers:
        return Fit("gamma_gamma", "too_few_buyers", customers=n,
                   message=f"{n} repeat buyers with spend; the fit needs at least {min_repeat_customers}")
    (x, m), weight = _grouped(data.astype(float), ["frequency", "monetary_value"])
    negative_ll, with_gradient = _negative_log_likelihood(_GammaGammaLikelihood(x, m), weight)
    start = np.log([1.0, 2.0, max(_mean(data["monetary_value"]), 1.0)])
    result = _maximise(negative_ll, start, with_gradient)
    params = np.exp(result.x)
    if not (result.success and np.all(np.isfinite(params)) and result.fun < 1e300):
        return Fit("gamma_gamma", "not_converged", customers=n, message=f"the optimiser stopped: {result.message}")
    if params[1] <= 1.0:
        return Fit("gamma_gamma", "not_converged", customers=n,
                   message=f"q = {params[1]:.3g} <= 1: the expected order value has no finite mean")
    return Fit("gamma_gamma", "fitted", dict(zip(GAMMA_GAMMA_PARAMETERS, map(float, params), strict=True)),
               customers=n, log_likelihood=-float(result.fun))


def _odds_dropped(params: dict[str, float], x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray) -> np.ndarray:
    """Odds that a customer dropped out right after the last purchase rather than is still alive (0 for x = 0)."""
    r, alpha, a, b = (params[k] for k in BG_NBD_PARAMETERS)
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = (a / (b + x - 1)) * np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x)))
    return np.where(x > 0, odds, 0.0)


def p_alive(params: dict[str, float], x, t_x, big_t) -> np.ndarray:
    """P(still a customer at T | x, t_x, T) under BG/NBD."""
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    return 1.0 / (1.0 + _odds_dropped(params, x, t_x, big_t))


def expected_purchases(params: dict[str, float], t: float, x, t_x, big_t) -> np.ndarray:
    """Expected purchases in the next t time units given x, t_x, T (Fader, Hardie and Lee 2005, eq. 10)."""
    r, alpha, a, b = (params[k] for k in BG_NBD_PARAMETERS)
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    ratio = np.exp((r + x) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
    hyper = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + big_t + t))
    numerator = (a + b + x - 1) / (a - 1) * (1.0 - ratio * hyper)
    return numerator / (1.0 + _odds_dropped(params, x, t_x, big_t))


def expected_order_value(params: dict[str, float], x, m) -> np.ndarray:
    """Expected mean spend per purchase given x repeat purchases of mean m (Gamma-Gamma); population mean at x = 0."""
    p, q, v = (params[k] for k in GAMMA_GAMMA_PARAMETERS)
    x, m = (np.asarray(val, dtype=float) for val in (x, m))
    return (p * (v + x * np.where(x > 0, m, 0.0))) / (p * x + q - 1)


# ---- tables of the dbt Python models (models/marts/segmentation/predictions/) ----

TIME_UNIT = "day"
FIT_COLUMNS = ["model", "parameter", "value", "customers", "log_likelihood", "time_unit", "as_of_date"]


def warn(message: str) -> None:
    """A warning in dbt's log and console (yellow, like a data test's warn), never an error."""
    try:
        from dbt_common.events.base_types import EventLevel
        from dbt_common.events.functions import fire_event
        from dbt_common.events.types import Note
    except ImportError:  # outside dbt (unit tests): plain stderr
        import sys
        print(f"WARNING: {message}", file=sys.stderr)
        return
    fire_event(Note(msg=f"WARNING: {message}"), level=EventLevel.WARN)


FIT_TYPES = {"model": "varchar", "parameter": "varchar", "value": "double", "customers": "bigint",
             "log_likelihood": "double", "time_unit": "varchar", "as_of_date": "date"}
PREDICTION_TYPES = {
    "user_id": "varchar", "frequency": "integer", "recency": "integer", "T": "integer",
    "monetary_value": "decimal(18, 6)", "p_alive": "double", "expected_purchases_30d": "double",
    "expected_purchases_90d": "double", "expected_purchases_365d": "double", "expected_order_value": "double",
    "predicted_clv_365d": "double", "purchase_model": "varchar", "spend_model": "varchar", "as_of_date": "date",
}
BACKTEST_TYPES = {
    "decile": "integer", "users": "bigint", "predicted_purchases": "double", "actual_purchases": "bigint",
    "mean_predicted": "double", "mean_actual": "double", "min_prediction": "double", "max_prediction": "double",
    "calibration_date": "date", "as_of_date": "date", "holdout_days": "integer",
    "r": "double", "alpha": "double", "a": "double", "b": "double",
}


def typed(session, frame: pd.DataFrame, types: dict[str, str]):
    """The frame as a DuckDB relation with exactly these columns and SQL types (an empty frame keeps them too)."""
    columns = ", ".join(f'cast("{name}" as {sql_type}) as "{name}"' for name, sql_type in types.items())
    return session.from_df(frame[list(types)]).project(columns)


def seed_values(thresholds: pd.DataFrame, *names: str) -> list[float]:
    """Values of `seg_thresholds` rows by name; one clear sentence when a row is missing."""
    values = dict(zip(thresholds["threshold_name"], thresholds["threshold_value"], strict=True))
    missing = [name for name in names if name not in values]
    if missing:
        raise ValueError(f"seeds/seg_thresholds.csv has no row {', '.join(missing)}")
    return [float(values[name]) for name in names]


def fit_models(buyers: pd.DataFrame, min_buyers: int, min_repeat_buyers: int) -> tuple[Fit, Fit]:
    """BG/NBD, then Gamma-Gamma (only where BG/NBD fitted: spend without purchase counts predicts nothing)."""
    purchases = fit_bg_nbd(buyers, min_buyers, min_repeat_buyers)
    if not purchases.ok:
        return purchases, Fit("gamma_gamma", "skipped", message="BG/NBD was not fitted")
    return purchases, fit_gamma_gamma(buyers, min_repeat_buyers)


def fit_rows(fits: tuple[Fit, ...], as_of_date) -> pd.DataFrame:
    """One row per model and parameter, only for the models that fitted."""
    rows = [
        (fit.model, name, value, fit.customers, fit.log_likelihood, TIME_UNIT, as_of_date)
        for fit in fits if fit.ok for name, value in fit.params.items()
    ]
    frame = pd.DataFrame(rows, columns=FIT_COLUMNS)
    return frame.astype({"model": "string", "parameter": "string", "value": "float64", "customers": "int64",
                         "log_likelihood": "float64", "time_unit": "string"})


def params_of(fit_table: pd.DataFrame, model: str) -> dict[str, float] | None:
    rows = fit_table[fit_table["model"] == model]
    return dict(zip(rows["parameter"], rows["value"].astype(float), strict=True)) or None


def predictions(buyers: pd.DataFrame, fit_table: pd.DataFrame, horizons: tuple[int, ...] = (30, 90, 365)
                ) -> pd.DataFrame:
    """Per buyer: p_alive, expected purchase days over each horizon, expected order value and 365-day CLV.

    Null where the model behind a column was not fitted. CLV is undiscounted: expected purchase days in
    365 days times the expected order value.
    """
    out = buyers[["user_id", "frequency", "recency", "T", "monetary_value", "as_of_date"]].copy()
    x, t_x, big_t = (out[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    bg, gg = params_of(fit_table, "bg_nbd"), params_of(fit_table, "gamma_gamma")
    nothing = np.full(len(out), np.nan)
    out["p_alive"] = p_alive(bg, x, t_x, big_t) if bg and len(out) else nothing
    for days in horizons:
        out[f"expected_purchases_{days}d"] = expected_purchases(bg, days, x, t_x, big_t) if bg and len(out) else nothing
    out["expected_order_value"] = (
        expected_order_value(gg, x, out["monetary_value"].to_numpy(dtype=float)) if gg and len(out) else nothing
    )
    out["predicted_clv_365d"] = out["expected_purchases_365d"] * out["expected_order_value"]
    out["purchase_model"] = "bg_nbd" if bg else "none"
    out["spend_model"] = "gamma_gamma" if gg else "none"
    return out


def backtest(calibration: pd.DataFrame, min_buyers: int, min_repeat_buyers: int, deciles: int = 10
             ) -> tuple[Fit, pd.DataFrame]:
    """Fit BG/NBD on the calibration columns, predict each buyer's purchase days over the holdout, compare by decile.

    `calibration`: one row per buyer at the calibration date, columns frequency, recency, T (days),
    holdout_days and actual_purchases (purchase days in the holdout). Deciles of the prediction, 1 = lowest;
    ties broken by user_id so that equal predictions never straddle a run-to-run boundary.
    """
    fit = fit_bg_nbd(calibration, min_buyers, min_repeat_buyers)
    columns = ["decile", "users", "predicted_purchases", "actual_purchases", "mean_predicted", "mean_actual",
               "min_prediction", "max_prediction"]
    if not fit.ok or calibration.empty:
        return fit, pd.DataFrame(columns=columns)
    frame = calibration.sort_values("user_id").reset_index(drop=True)
    horizon = float(frame["holdout_days"].iloc[0])
    frame["predicted"] = expected_purchases(fit.params, horizon, frame["frequency"], frame["recency"], frame["T"])
    order = frame.sort_values(["predicted", "user_id"]).index
    frame.loc[order, "decile"] = np.arange(len(frame)) * deciles // len(frame) + 1
    grouped = frame.groupby("decile").agg(
        users=("user_id", "size"), predicted_purchases=("predicted", "sum"),
        actual_purchases=("actual_purchases", "sum"), min_prediction=("predicted", "min"),
        max_prediction=("predicted", "max")).reset_index()
    grouped["mean_predicted"] = grouped["predicted_purchases"] / grouped["users"]
    grouped["mean_actual"] = grouped["actual_purchases"] / grouped["users"]
    return fit, grouped.astype({"decile": "int64", "users": "int64", "actual_purchases": "int64"})[columns]


def as_date(value):
    """A date from what DuckDB hands pandas for a DATE (a Timestamp, or a date); None stays None."""
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()
