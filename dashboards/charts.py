"""Charts more than one page draws: a goal's story (actual against the expected pace, target, forecast)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.ui import status_chip, tr, when


def story_chart(history: pl.DataFrame, goal: dict) -> go.Figure:
    """Actual so far, the pace that reaches the target by the period's end, the target (original too when revised)
    and the forecast. A cumulative KPI starts at 0 on the first day; a rate is compared with its target level."""
    start, end = goal["period_start"], goal["period_end"]
    if goal["target"] is None:  # an objective: its attainment (the mean of its key results) against 100 %
        return _attainment_chart(history, start, end)
    cumulative = history["pacing"].first() == "cumulative" if history.height else False
    days, actual = history["as_of_date"].to_list(), history["actual"].to_list()
    if cumulative:
        days, actual = [start, *days], [0.0, *actual]
    target = goal["target"]
    figure = go.Figure()
    if target is not None:
        figure.add_trace(go.Scatter(x=[start, end], y=[0.0 if cumulative else target, target], mode="lines",
                                    name=tr("expected_pace"), line={"dash": "dot", "color": "#9e9e9e"}))
        figure.add_hline(y=target, line={"color": "#2e7d32", "width": 1},
                         annotation_text=f"{tr('target')} {target:,.2f}")
    if goal["original_target"] is not None and goal["original_target"] != target:
        figure.add_hline(y=goal["original_target"], line={"color": "#757575", "dash": "dash", "width": 1},
                         annotation_text=f"{tr('original_target')} {goal['original_target']:,.2f}",
                         annotation_position="bottom right")
    figure.add_trace(go.Scatter(x=days, y=actual, mode="lines+markers", name=tr("actual"),
                                line={"color": "#1565c0"}, marker={"size": 8}))
    last = history.tail(1).row(0, named=True) if history.height else None
    if last and last["forecast_value"] is not None and last["as_of_date"] < end:
        figure.add_trace(go.Scatter(x=[last["as_of_date"], end], y=[last["actual"], last["forecast_value"]],
                                    mode="lines+markers", name=tr("forecast_value"),
                                    line={"dash": "dash", "color": "#1565c0"}, marker={"symbol": "circle-open"}))
    # the whole period, even with one point so far; numeric dates (plotly would write English month names)
    figure.update_xaxes(range=[start, end], tickformat="%Y-%m-%d")
    figure.update_yaxes(rangemode="tozero", tickformat=",.2~f")
    figure.update_layout(margin={"t": 10, "l": 0, "r": 0, "b": 0}, height=300, legend={"orientation": "h"})
    return figure




def _attainment_chart(history: pl.DataFrame, start, end) -> go.Figure:
    figure = go.Figure()
    days = history["as_of_date"].to_list()
    figure.add_trace(go.Scatter(x=days, y=history["expected_attainment"].to_list(), mode="lines+markers",
                                name=tr("expected_attainment"), line={"dash": "dot", "color": "#9e9e9e"}))
    figure.add_trace(go.Scatter(x=days, y=history["attainment"].to_list(), mode="lines+markers",
                                name=tr("attainment"), line={"color": "#1565c0"}, marker={"size": 8}))
    figure.add_hline(y=1.0, line={"color": "#2e7d32", "width": 1}, annotation_text=tr("target"))
    figure.update_xaxes(range=[start, end], tickformat="%Y-%m-%d")
    figure.update_yaxes(rangemode="tozero", tickformat=".0%")
    figure.update_layout(margin={"t": 10, "l": 0, "r": 0, "b": 0}, height=300, legend={"orientation": "h"})
    return figure


def goal_story(history: pl.DataFrame, goal: dict) -> None:
    """The chart and the status history (when the goal turned at risk, and back) of one goal."""
    if history.is_empty():
        st.info(tr("nothing_here"))
        return
    st.plotly_chart(story_chart(history, goal), width="stretch")
    changes, previous = [], None
    for row in history.iter_rows(named=True):
        if row["status"] != previous:
            changes.append(f"{when(row['as_of_date'])}: {status_chip(row['status'])}")
            previous = row["status"]
    st.caption(f"{tr('status_history')}: " + " → ".join(changes))
