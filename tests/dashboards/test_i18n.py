"""Both languages for every label; numbers and dates per locale."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from dashboards import i18n

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def test_every_label_has_english_and_chinese():
    for key, (en, zh) in i18n.LABELS.items():
        assert en.strip() and zh.strip(), key
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", zh)), key
        # translated (CJK text or full-width punctuation), or deliberately the same ("KPI")
        assert re.search(r"[\u3000-\u9fff\uff00-\uffef]", zh) or zh == en, key


def test_every_label_the_pages_use_exists():
    used = set()
    for path in [*DASHBOARDS.glob("*.py"), *DASHBOARDS.glob("views/*.py")]:
        used |= set(re.findall(r"""\btr\(["'](\w+)["']""", path.read_text()))
    assert used, "the pages use tr()"
    assert used <= set(i18n.LABELS), used - set(i18n.LABELS)


def test_statuses_numbers_and_dates_per_locale():
    assert i18n.status_label("off_track", "zh") == "偏离" and i18n.status_label("off_track", "en") == "off track"
    assert i18n.format_number(1234567.0, "en") == "1,234,567.0"
    assert i18n.format_number(1234567.0, "zh") == "123.5万"
    assert i18n.format_number(350_000_000, "zh") == "3.5亿"
    assert i18n.format_number(None, "zh") == "–"
    assert i18n.format_percent(0.953, "en") == "95%"
    assert i18n.format_date(date(2026, 11, 30), "en") == "30 Nov 2026"
    assert i18n.format_date(date(2026, 11, 30), "zh") == "2026年11月30日"
    assert i18n.t("rows_limited", "zh", n=5000) == "仅显示前 5000 行（导出内容相同）。"


def test_periods_months_and_kpi_values_as_people_write_them():
    assert i18n.period_label("2026-Q4", "en") == "2026 Q4" and i18n.period_label("2026-Q4", "zh") == "2026年第4季度"
    assert i18n.period_label("2026", "zh") == "2026年" and i18n.period_label("2026-H1", "zh") == "2026年上半年"
    assert i18n.period_label("2026-10", "en") == "Oct 2026" and i18n.period_label("2026-10", "zh") == "2026年10月"
    assert i18n.period_label("FY26 plan", "zh") == "FY26 plan", "a period the workbook names otherwise, as written"
    assert i18n.format_kpi_value(0.9473, "ratio", "en") == "94.7%"
    assert i18n.format_kpi_value(47177.891, "currency", "en") == "47,177.89"
    assert i18n.format_kpi_value(61.0, "count", "en") == "61" and i18n.format_kpi_value(None, "count", "zh") == "–"
    assert i18n.status_badge("at_risk", "zh") == ":orange-badge[有风险]"


EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B55]")


def test_no_emoji_anywhere_in_the_dashboards():
    """Status and notices are colour plus words: an emoji turns into a box where no emoji font is installed."""
    for path in [*DASHBOARDS.glob("*.py"), *DASHBOARDS.glob("views/*.py")]:
        assert not EMOJI.search(path.read_text()), (path.name, EMOJI.findall(path.read_text()))
    assert not any(EMOJI.search(en + zh) for en, zh in i18n.LABELS.values())
