"""A seeded, synthetic churn table in the shape of the public IBM "Telco Customer Churn" sample.

It has the same kind of columns (an id, yes/no and text columns, tenure and charges, a Yes/No
``Churn`` label, blank ``TotalCharges`` for brand-new customers) plus a ``signup_quarter``
column for out-of-time validation. No real data is used: every value is drawn from the
documented process below, so the same seed always gives the same file and anyone can check the
figures in docs/success.md without a download.

Process: contract, internet service, payment method, tenure and add-ons are drawn per customer;
the churn log-odds are a sum of effects the public sample is known for (month-to-month
contracts, fibre, electronic checks and high charges raise churn; tenure, security and support
lower it) plus logistic noise, and a small upward drift for later signup quarters.

    python -m tobloop.success.sample_churn telco.csv --rows 7043 --seed 2026
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import numpy as np

COLUMNS = [
    "customerID", "signup_quarter", "gender", "SeniorCitizen", "Partner", "Dependents",
    "tenure", "PhoneService", "MultipleLines", "InternetService", "OnlineSecurity",
    "TechSupport", "Contract", "PaperlessBilling", "PaymentMethod", "MonthlyCharges",
    "TotalCharges", "Churn",
]  # fmt: skip
QUARTERS = [f"{y}-Q{q}" for y in (2023, 2024, 2025) for q in (1, 2, 3, 4)]
CONTRACT = {"Month-to-month": 1.1, "One year": -0.4, "Two year": -1.5}
INTERNET = {"DSL": 0.0, "Fiber optic": 0.7, "No": -0.6}
PAYMENT = {
    "Electronic check": 0.5,
    "Mailed check": 0.0,
    "Bank transfer (automatic)": -0.2,
    "Credit card (automatic)": -0.2,
}


def _pick(rng: np.random.Generator, options: dict[str, float], p: list[float]) -> str:
    return str(rng.choice(list(options), p=p))


def _row(rng: np.random.Generator, i: int) -> list[object]:
    quarter_index = int(rng.integers(0, len(QUARTERS)))
    contract = _pick(rng, CONTRACT, [0.55, 0.21, 0.24])
    internet = _pick(rng, INTERNET, [0.34, 0.44, 0.22])
    payment = _pick(rng, PAYMENT, [0.34, 0.23, 0.22, 0.21])
    senior = int(rng.random() < 0.16)
    partner, dependents = rng.random() < 0.48, rng.random() < 0.3
    tenure = int(min(72, rng.exponential(30 if contract == "Month-to-month" else 45)))
    online = internet != "No"
    security = online and rng.random() < 0.35
    support = online and rng.random() < 0.35
    phone = rng.random() < 0.9
    multiple = phone and rng.random() < 0.45
    services = 20 + 25 * online + 25 * (internet == "Fiber optic") + 5 * multiple
    monthly = round(services + 5 * (security + support) + float(rng.normal(0, 4)), 2)
    logit = (
        -0.9
        + CONTRACT[contract]
        + INTERNET[internet]
        + PAYMENT[payment]
        - 0.035 * tenure
        + 0.012 * (monthly - 65)
        - 0.5 * security
        - 0.5 * support
        + 0.3 * senior
        - 0.2 * partner
        + 0.04 * quarter_index
        + float(rng.logistic())
    )
    churn = logit > 0
    total = "" if tenure == 0 else f"{monthly * tenure:.2f}"

    def yn(flag: bool, service: bool = True, none: str = "No internet service") -> str:
        return ("Yes" if flag else "No") if service else none

    return [
        f"{i:04d}-{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)}",
        QUARTERS[quarter_index],
        "Female" if rng.random() < 0.5 else "Male",
        senior,
        yn(partner),
        yn(dependents),
        tenure,
        yn(phone),
        yn(multiple, phone, "No phone service"),
        internet,
        yn(security, online),
        yn(support, online),
        contract,
        yn(rng.random() < 0.59),
        payment,
        f"{monthly:.2f}",
        total,
        yn(churn),
    ]


def telco_style_csv(rows: int = 7043, seed: int = 2026) -> str:
    """The whole table as CSV text; same ``rows`` and ``seed``, same text."""
    rng = np.random.default_rng(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(rows):
        writer.writerow(_row(rng, i))
    return out.getvalue()


def churn_rate(text: str) -> float:
    lines = text.strip().split("\n")[1:]
    return sum(line.endswith(",Yes") for line in lines) / max(1, len(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the seeded Telco-style churn table.")
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=7043)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    text = telco_style_csv(args.rows, args.seed)
    args.out.write_text(text, encoding="utf-8")
    rate = churn_rate(text)
    print(f"{args.out}: {args.rows} rows, churn rate {rate:.3f} (seed {args.seed})")


if __name__ == "__main__":
    main()
