"""Chinese and English for every label, status and column the dashboards show; numbers and dates per locale.

KPI names come from the marts (``dim_kpi.name_en`` / ``name_zh``); everything else is here. A missing key
raises in tests (``tests/dashboards/test_i18n.py`` checks both languages cover the same keys).
"""

from __future__ import annotations

import math
from datetime import date, datetime

LANGUAGES = {"en": "English", "zh": "中文"}

LABELS: dict[str, tuple[str, str]] = {
    # app frame
    "app_title": ("Northstar performance", "北极星绩效"),
    "language": ("Language", "语言"),
    "sign_in": ("Sign in", "登录"),
    "sign_out": ("Sign out", "退出登录"),
    "username": ("Username", "用户名"),
    "password": ("Password", "密码"),
    "bad_credentials": ("Unknown user or wrong password.", "用户名或密码错误。"),
    "sign_in_throttled": ("Too many failed sign-ins: try again in {seconds} s.", "登录失败次数过多:请 {seconds} 秒后再试。"),
    "no_account": ("Your identity has no Northstar account; ask HR to add one.", "您的身份没有北极星账户，请联系人力资源部添加。"),
    "sign_in_oidc": ("Sign in with your company account", "使用公司账户登录"),
    "signed_in_as": ("Signed in as", "当前用户"),
    "role": ("Role", "角色"),
    "no_serving": ("No published data yet: run `northstar refresh`.", "尚无已发布的数据：请运行 `northstar refresh`。"),
    "published_at": ("Data published", "数据发布时间"),
    "stale_banner": ("The data shown is from the last good refresh ({published}). The refresh of {attempted} was "
                     "blocked by the audit: {failures}.",
                     "当前显示的是上一次合格刷新（{published}）的数据。{attempted} 的刷新未通过数据稽核而被拦截：{failures}。"),
    "failed_banner": ("The data shown is from the last good refresh ({published}). The refresh of {attempted} "
                      "failed: {failures}.",
                      "当前显示的是上一次合格刷新（{published}）的数据。{attempted} 的刷新失败：{failures}。"),
    "failed": ("failed", "失败"),
    "no_file_yet": ("no file yet", "尚无文件"),
    "off_track_beneath": ("{n} of {of} people beneath off track", "下属 {of} 人中 {n} 人偏离"),
    "unit_status": ("Unit status", "单元状态"),
    "people_on_track": ("People on track", "正常人数"),
    "people_at_risk": ("People at risk", "有风险人数"),
    "people_off_track": ("People off track", "偏离人数"),
    "inbox_sources": ("Inbox files per template", "各模板的收件箱文件"),
    "template": ("Template", "模板"),
    "last_file": ("Last file", "最近文件"),
    "files_loaded": ("Files loaded", "已加载文件数"),
    "access_denied": ("You do not have access to this view.", "您无权查看此页面。"),
    "download_csv": ("Download CSV", "下载 CSV"),
    "download_xlsx": ("Download XLSX", "下载 XLSX"),
    "rows_limited": ("Showing the first {n} rows (exports carry the same rows).", "仅显示前 {n} 行（导出内容相同）。"),
    "nothing_here": ("Nothing to show for this selection.", "此选择下没有数据。"),
    # pages
    "page_goal_map": ("Goal map", "目标地图"),
    "page_alignment": ("Alignment", "目标对齐"),
    "page_team": ("Team view", "团队视图"),
    "page_person": ("Person view", "个人视图"),
    "page_cross": ("Cross-analysis", "交叉分析"),
    "page_calibration": ("Calibration", "绩效校准"),
    "page_quality": ("Data quality", "数据质量"),
    "page_pipeline": ("Pipeline status", "管道状态"),
    # filters
    "period": ("Period", "周期"),
    "period_type": ("Period type", "周期类型"),
    "unit": ("Org unit", "组织单元"),
    "person": ("Person", "人员"),
    "kpi": ("KPI", "指标"),
    "dimension": ("Compare by", "对比维度"),
    "open_node": ("Open a node", "打开节点"),
    "focus_unit": ("Centre the map on", "地图中心"),
    "people_hidden": ("{n} people under this unit: pick a department or team to see them.",
                      "该单元下有 {n} 人：请选择部门或团队以显示个人。"),
    "goal": ("Goal", "目标"),
    "check": ("Check", "检查项"),
    "month": ("Month", "月"),
    "quarter": ("Quarter", "季度"),
    "year": ("Year", "年"),
    "department": ("Department", "部门"),
    "title": ("Title", "职位"),
    "project": ("Project", "项目"),
    # columns
    "employee_id": ("Employee ID", "员工编号"),
    "full_name": ("Name", "姓名"),
    "goal_id": ("Goal ID", "目标编号"),
    "goal_title": ("Goal", "目标"),
    "goal_type": ("Type", "类型"),
    "owner": ("Owner", "负责人"),
    "weight": ("Weight %", "权重 %"),
    "baseline": ("Baseline", "基线"),
    "target": ("Target", "目标值"),
    "original_target": ("Original target", "原始目标值"),
    "revision": ("Revision", "修订版本"),
    "actual": ("Actual", "实际值"),
    "attainment": ("Attainment", "达成率"),
    "expected_attainment": ("Expected by now", "当前应达成"),
    "forecast_value": ("Forecast", "预测值"),
    "forecast_attainment": ("Forecast attainment", "预测达成率"),
    "status": ("Status", "状态"),
    "as_of_date": ("As of", "截至"),
    "value": ("Value", "数值"),
    "numerator": ("Counts toward", "计入分子"),
    "denominator": ("Out of", "计入分母"),
    "trend": ("Trend", "趋势"),
    "records": ("Records", "记录数"),
    "record": ("Record", "记录"),
    "source": ("Source", "来源"),
    "event_date": ("Date", "日期"),
    "link": ("Link", "链接"),
    "score": ("Score", "得分"),
    "rank": ("Rank in unit", "单元内排名"),
    "unit_size": ("Unit size", "单元人数"),
    "grade": ("Proposed grade", "建议等级"),
    "consecutive_low": ("Consecutive low quarters", "连续低分季度"),
    "pip_candidate": ("PIP candidate", "绩效改进计划候选"),
    "review_score": ("Manager's review score", "经理评估分"),
    "tenure": ("Tenure", "司龄"),
    "months_n": ("{n} months", "{n} 个月"),
    "members": ("Members", "成员"),
    "warnings": ("Early warnings", "预警"),
    "ahead": ("Ahead", "领先"),
    "behind": ("Behind", "落后"),
    "warning_status": ("{name}: {goal} at {attainment} of target where {expected} was expected by today {status}",
                       "{name}：{goal} 已达成目标的 {attainment}，按进度今天应达 {expected} {status}"),
    "warning_decline": ("{name}: {kpi} fell {n} complete months in a row since {since}",
                        "{name}：{kpi} 自{since}起连续 {n} 个完整月下降"),
    "contribution": ("Contribution to parent", "对上级目标的贡献"),
    "alignment_help": ("Each goal is followed by the goals aligned to it. A key result's contribution is its share "
                       "of its objective's attainment (they add up to it). Open a goal to see its story.",
                       "每个目标下方列出与之对齐的目标。关键结果的贡献是其在所属目标达成率中的份额（各项之和即目标达成率）。"
                       "点击目标查看其进展。"),
    "goal_story": ("The goal over time", "目标进展"),
    "expected_pace": ("Expected pace", "应达进度"),
    "status_history": ("Status history", "状态变化"),
    "detail": ("Detail", "详情"),
    "open_in_source": ("Open", "打开"),
    "distribution": ("Distribution", "分布"),
    "comparison": ("Comparison", "对比"),
    "median_of_people": ("Median of people's values", "个人数值的中位数"),
    "people": ("People", "人数"),
    "units_counted": ("Units", "单元数"),
    "grade_counts": ("Forced-distribution proposal (a calibration aid, not a verdict)", "强制分布建议（校准参考，并非结论）"),
    "not_ranked": ("not ranked (short tenure or small unit)", "不参与排名（在职时间短或单元人数少）"),
    "latest_run": ("Latest audit run", "最近一次稽核"),
    "decision": ("Decision", "结论"),
    "checks": ("Audit expectations", "稽核规则数"),
    "failed_blocking": ("Blocking failures", "阻断性失败"),
    "failed_warning": ("Warnings", "警告"),
    "failures_by_source": ("Failures by source", "按来源的失败项"),
    "check_history": ("History of a check", "检查项历史"),
    "affected_kpis": ("KPIs fed by failing tables", "受影响的指标"),
    "data_docs": ("Great Expectations Data Docs", "Great Expectations 数据文档"),
    "auditor_report": ("Auditor summary report", "稽核摘要报告"),
    "suite": ("Suite", "检查套件"),
    "table_name": ("Table", "表"),
    "severity": ("Severity", "严重程度"),
    "success": ("Passed", "通过"),
    "unexpected_count": ("Failing rows", "不合格行数"),
    "sample": ("Sample of failing keys", "不合格记录样本"),
    "description": ("Description", "说明"),
    "audited_at": ("Audited at", "稽核时间"),
    "object": ("Object", "对象"),
    "last_load": ("Last load", "最近加载"),
    "rows_landed": ("Rows landed", "新增行数"),
    "api_calls": ("API calls", "API 调用"),
    "freshness": ("Hours since last load", "距上次加载（小时）"),
    "error": ("Error", "错误"),
    "file_name": ("File", "文件"),
    "reason": ("Reason", "原因"),
    "last_attempt": ("Last refresh attempt", "最近一次刷新尝试"),
    "inbox_files": ("Inbox files", "收件箱文件"),
    "api_loads": ("API loads", "API 加载"),
    "source_freshness": ("Freshness per source (as of its last successful load)", "各数据源新鲜度（按最近一次成功加载）"),
    "allowed_lag": ("Allowed lag (hours)", "允许延迟（小时）"),
    "lag_hours": ("Lag (hours)", "延迟（小时）"),
    "fresh": ("fresh", "新鲜"),
    "succeeded": ("succeeded", "成功"),
    "nothing_new": ("nothing new (build skipped)", "无新数据（跳过构建）"),
    "schedule": ("schedule", "定时"),
    "sensor": ("sensor", "传感器"),
    "manual": ("manual", "手动"),
    "backfill": ("backfill", "回填"),
    "running": ("running", "运行中"),
    "stale": ("stale", "过期"),
    "never": ("never loaded", "从未加载"),
    "recent_runs": ("Recent runs", "最近运行"),
    "restatements": ("Restatements of closed months", "已结账月份的重述"),
    "no_restatements": ("No KPI value of a closed month has changed since its close.", "已结账月份的指标值在结账后均未变化。"),
    "restatements_found": ("{n} KPI value(s) of closed months changed since their close: the closed value, the current "
                           "value and the records that changed.", "{n} 个已结账月份的指标值在结账后发生变化：结账值、当前值及变化的记录。"),
    "close_month": ("Closed month", "结账月份"),
    "subject": ("Person or unit", "人员或部门"),
    "closed_value": ("Closed value", "结账值"),
    "current_value": ("Current value", "当前值"),
    "difference": ("Difference", "差额"),
    "changed_records": ("Records changed", "变化记录数"),
    "changed_record_labels": ("Which records", "变化的记录"),
    "no_runs_yet": ("No run recorded yet.", "尚无运行记录。"),
    "started_at": ("Started", "开始时间"),
    "trigger": ("Started by", "触发方式"),
    "job": ("Job", "作业"),
    "outcome": ("Outcome", "结果"),
    "seconds": ("Seconds", "耗时（秒）"),
    "steps": ("Seconds per step", "各步骤耗时（秒）"),
    "first_cause": ("First cause", "首要原因"),
    "blocked": ("blocked", "已拦截"),
    "publish": ("published", "已发布"),
    # statuses and enumerations
    "achieved": ("achieved", "已达成"),
    "on_track": ("on track", "正常"),
    "at_risk": ("at risk", "有风险"),
    "off_track": ("off track", "偏离"),
    "no_data": ("no data", "无数据"),
    "objective": ("objective", "目标"),
    "key_result": ("key result", "关键结果"),
    "employee": ("employee", "员工"),
    "manager": ("manager", "经理"),
    "hr": ("HR", "人力资源"),
    "executive": ("executive", "高管"),
    "auditor": ("auditor", "审计员"),
    "company": ("company", "公司"),
    "team": ("team", "团队"),
    "blocking": ("blocking", "阻断"),
    "warning": ("warning", "警告"),
    "hubspot": ("HubSpot", "HubSpot"),
    "jira": ("Jira", "Jira"),
    "zendesk": ("Zendesk", "Zendesk"),
    "inbox": ("inbox file", "收件箱文件"),
    "hr_export": ("HR export", "人力资源导出"),
    # source objects (pipeline status) and audit areas (data quality)
    "deals": ("deals", "商机"),
    "calls": ("calls", "通话"),
    "meetings": ("meetings", "会议"),
    "owners": ("owners", "负责人"),
    "issues": ("issues", "任务"),
    "projects": ("projects", "项目"),
    "users": ("users", "用户"),
    "versions": ("versions", "版本"),
    "tickets": ("tickets", "工单"),
    "ticket_metrics": ("ticket metrics", "工单指标"),
    "satisfaction_ratings": ("satisfaction ratings", "满意度评分"),
    "loaded": ("loaded", "已加载"),
    "rejected": ("rejected", "已拒收"),
    "CRM (HubSpot)": ("CRM (HubSpot)", "客户关系（HubSpot）"),
    "Projects (Jira)": ("Projects (Jira)", "项目（Jira）"),
    "Tickets (Zendesk)": ("Tickets (Zendesk)", "工单（Zendesk）"),
    "HR export": ("HR export", "人力资源导出"),
    "Goal workbook": ("Goal workbook", "目标工作簿"),
    "Reviews, manual entries and goal numbers": ("Reviews, manual entries and goal numbers", "评估、手工录入与目标数值"),
    "All API sources": ("All API sources", "全部 API 数据源"),
    "Public marts": ("Public marts", "公开数据集市"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The label ``key`` in ``lang`` (en/zh), with ``{placeholders}`` filled in."""
    en, zh = LABELS[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def word(value: str | None, lang: str) -> str:
    """An enumeration value (status, source object, audit area) in ``lang``; unknown values as written."""
    return t(value, lang) if value in LABELS else (value or "")


def status_label(status: str | None, lang: str) -> str:
    return t(status, lang) if status in LABELS else (status or "")


def kpi_name(row: dict, lang: str) -> str:
    return row["name_zh"] if lang == "zh" else row["name_en"]


def format_number(value: float | int | None, lang: str, decimals: int = 1) -> str:
    """Thousands grouped, as both locales write them (1,234.5); Chinese large numbers in 万 and 亿."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if lang == "zh" and abs(value) >= 100_000_000:
        return f"{value / 100_000_000:,.{decimals}f}亿"
    if lang == "zh" and abs(value) >= 10_000:
        return f"{value / 10_000:,.{decimals}f}万"
    return f"{value:,.{decimals}f}"


def format_kpi_value(value: float | None, unit: str | None, lang: str) -> str:
    """A KPI value in its unit: ratios as percentages (94.7%), amounts with two decimals, counts and points whole
    where they are whole."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "currency":
        return format_number(value, lang, 2)
    return format_number(value, lang, 0 if float(value).is_integer() else 1)


def format_percent(value: float | None, lang: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.0f}%"


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: date | datetime | None, lang: str) -> str:
    """A day as each language writes it; month names from our table, not the server's locale."""
    if value is None:
        return "–"
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{value.day:02d} {MONTHS_EN[value.month - 1]} {value.year}"


def format_month(value: date | None, lang: str) -> str:
    if value is None:
        return "–"
    return f"{value.year}年{value.month}月" if lang == "zh" else f"{MONTHS_EN[value.month - 1]} {value.year}"


def period_label(period: str | None, lang: str) -> str:
    """A goal period as people say it: "2026-Q4" -> "2026 Q4" / "2026年第4季度"; "2026" -> "2026" / "2026年";
    "2026-10" -> "Oct 2026" / "2026年10月". Anything else is shown as written."""
    text = period or ""
    year, _, part = text.partition("-")
    if not year.isdigit():
        return text
    if not part:
        return f"{year}年" if lang == "zh" else year
    if part.startswith("Q") and part[1:].isdigit():
        return f"{year}年第{part[1:]}季度" if lang == "zh" else f"{year} {part}"
    if part.startswith("H") and part[1:].isdigit():
        return f"{year}年{'上' if part == 'H1' else '下'}半年" if lang == "zh" else f"{year} {part}"
    if part.isdigit() and 1 <= int(part) <= 12:
        return format_month(date(int(year), int(part), 1), lang)
    return text


# status -> the colour of its badge (Streamlit's badge colours; the same in tables as hex)
STATUS_BADGES = {"achieved": "green", "on_track": "green", "at_risk": "orange", "off_track": "red", "no_data": "gray"}
BADGE_HEX = {"green": "#2e7d32", "orange": "#ef6c00", "red": "#c62828", "gray": "#757575"}


def status_badge(status: str | None, lang: str) -> str:
    """Markdown for a status: a coloured badge holding the word (no emoji: they turn into boxes without the fonts)."""
    colour = STATUS_BADGES.get(status or "no_data", "gray")
    return f":{colour}-badge[{status_label(status or 'no_data', lang)}]"
