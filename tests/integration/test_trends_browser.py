"""The trends report opens in chromium: one plot per party (and one for sentiment), each drawn,
the table's cells linking to their example sentences. A screenshot is kept in tests/artifacts/."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from trendsdata import models_with_and_without_rates, prediction_rows, write_flat

from mauqif.annotate.schema import load_schema
from mauqif.cli import cli

from .browser import ARTIFACTS, browser  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


def test_the_trends_report_shows_one_plot_per_party(browser, tmp_path):  # noqa: F811
    schema = load_schema()
    model, model_dir, _ = models_with_and_without_rates(tmp_path / "models", schema)
    predictions = write_flat(model, prediction_rows(model), tmp_path / "p.parquet")
    report = tmp_path / "trends.html"
    result = CliRunner().invoke(
        cli,
        ["trends", str(predictions), "--model", str(model_dir), "--group", "outlet",
         "--report", str(report), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    page = browser.new_page()
    page.goto(report.as_uri())
    plots = page.locator("figure.plot img")
    assert plots.count() == len(schema.party_ids) + 1
    shown = [page.locator("figure.plot").nth(i).get_attribute("data-question") for i in range(5)]
    assert shown == [*schema.party_ids, "sentiment"]
    for i in range(plots.count()):  # each image decoded and drawn at its size
        width = plots.nth(i).evaluate("img => img.complete ? img.naturalWidth : 0")
        assert width > 500
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trends-report.png"), full_page=False)
    link = page.locator("a[href^='#ex-']").first
    target = link.get_attribute("href")[1:]
    link.click()
    assert page.locator(f"[id='{target}'] + ul li").count() >= 1
    page.close()
