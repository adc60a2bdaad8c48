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
