"""Northstar dashboards: the entry point (``northstar serve`` runs ``streamlit run`` on this file).

It only frames the pages: language switch, sign-in (a signed session cookie keeps it across reloads and links),
the pages the signed-in role may open, the banner when the data shown is older than the last (blocked) refresh
attempt. Pages live in ``dashboards/views/`` (not ``pages/``: Streamlit would list that folder's files before
sign-in); every query goes through ``dashboards/queries.py`` with the signed-in user.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from config import settings
from config.settings import load_settings
from dashboards import access_log, auth, serving, sessions
from dashboards.access import User
from dashboards.i18n import LANGUAGES, t
from dashboards.navigation import PAGES
from dashboards.ui import lang, tr


def _apply_language() -> None:
    st.session_state["lang"] = st.session_state["language_choice"]


def language_switch() -> None:
    """The sidebar's language picker; a callback applies the choice before the rerun, so the whole page (this
    label too) is drawn in the new language."""
    current = lang()
    st.sidebar.selectbox(t("language", current), list(LANGUAGES), format_func=LANGUAGES.get,
                         index=list(LANGUAGES).index(current), key="language_choice", on_change=_apply_language)


def session_store() -> sessions.SessionStore:
    """The live sign-in sessions of this data folder (one store per folder and server process)."""
    return _session_store(str(settings.sessions_dir()))


@st.cache_resource
def _session_store(folder: str) -> sessions.SessionStore:
    return sessions.SessionStore(Path(folder), load_settings().dashboards.session_hours)


def _session_cookie() -> str | None:
    try:
        return st.context.cookies.get(sessions.COOKIE)
    except (AttributeError, RuntimeError):  # no browser connection (tests, bare mode)
        return None


def resumed_session(accounts) -> User | None:
    """The user whose signed session cookie this browser sent (a reload, a bookmark, a link opened in a new tab)."""
    username = session_store().username(_session_cookie())
    if username is None:
        return None
    try:
        return auth.account_user(accounts, username)  # re-read: a removed account or changed role counts at once
    except auth.AccountsError:
        return None


def write_cookie() -> None:
    """Set (after sign-in) or clear (after sign-out) the session cookie in the browser."""
    pending = st.session_state.pop("cookie", None)
    if pending is not None:
        value, seconds = pending
        st.html(sessions.cookie_script(value, seconds, load_settings().dashboards.secure_cookie),
                unsafe_allow_javascript=True)


def sign_in() -> User | None:
    """The signed-in user, or None after drawing the sign-in form."""
    if "user" in st.session_state:
        return st.session_state["user"]
    accounts = settings.accounts_path()
    if load_settings().dashboards.auth == "oidc":
        if not st.user.is_logged_in:
            st.button(tr("sign_in_oidc"), on_click=st.login)
            return None
        user = auth.user_for_email(accounts, st.user.email)
        if user is None:
            st.error(tr("no_account"))
            return None
        st.session_state["user"] = user
        return user
    user = resumed_session(accounts)
    if user is not None:
        st.session_state["user"] = user
        st.session_state["session_token"] = _session_cookie()
        return user
    st.title(tr("app_title"))
    with st.form("sign_in"):
        username = st.text_input(tr("username"), key="sign_in_username")
        password = st.text_input(tr("password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(tr("sign_in"))
    if submitted:
        address = st.context.ip_address
        client = address if isinstance(address, str) else None  # None without a browser (tests, bare mode)
        try:
            user, outcome, wait = auth.sign_in(accounts, throttle(), username, password, client)
        except auth.AccountsError as exc:
            st.error(str(exc))
            return None
        access_log.record_sign_in(username, outcome, client)
        if outcome == "throttled":
            st.error(tr("sign_in_throttled", seconds=max(1, round(wait))))
            return None
        if user is None:
            st.error(tr("bad_credentials"))
            return None
        st.session_state["user"] = user
        token, seconds = session_store().start(user.username)
        st.session_state["cookie"] = (token, seconds)
        st.session_state["session_token"] = token  # this connection's cookie header predates it
        st.rerun()
    return None


@st.cache_resource
def throttle() -> auth.SignInThrottle:
    """One record of failed sign-ins per server process, shared by every session."""
    limits = load_settings().dashboards
    return auth.SignInThrottle(limits.sign_in_free_failures, limits.sign_in_lockout_seconds)


def sign_out() -> None:
    # the session ends everywhere, even where its cookie was copied
    session_store().end(st.session_state.get("session_token") or _session_cookie())
    for key in ("user", "person_id", "unit_id", "session_token"):
        st.session_state.pop(key, None)
    st.session_state["cookie"] = ("", 0)
    if load_settings().dashboards.auth == "oidc" and st.user.is_logged_in:
        st.logout()


def main() -> None:
    settings.owner_only_files()  # the access log and anything else the app writes under the data folder
    st.set_page_config(page_title="Northstar", page_icon=":material/star:", layout="wide")
    language_switch()
    user = sign_in()
    write_cookie()
    if user is None:
        return
    st.sidebar.markdown(f"**{tr('signed_in_as')}** {user.username} · {tr(user.role)}")
    st.sidebar.button(tr("sign_out"), on_click=sign_out)
    if serving.version_key() is None:
        st.warning(tr("no_serving"))
        return
    pages = [st.Page(path, title=tr(key), url_path=path.split("/")[-1].removesuffix(".py"))
             for key, (path, roles) in PAGES.items() if user.role in roles]
    st.navigation(pages).run()


main()
