"""When the users of a chunk shop: their traits, their sessions and the times of their views.

A user has two roles: 0 is the persona, 1 the second persona of a blended user (the persona
again for the others). Each session plays one role; its start follows the role persona's
traffic profile inside the user's active stretch, and one user's sessions never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from events.synth import personas as blurs  # read at call time: bench/quality.py switches blurs off
from events.synth.clock import Clock
from events.synth.personas import PERSONA_NAMES, PERSONAS

SESSION_PAUSE_S = 31 * 60  # the shortest pause between two sessions of one user
SESSION_TAIL_S = 10 * 60  # carts, purchases and removals land at most this long after the last view
PROFILES = ("base", "promo", "holiday")  # Persona.time_profile values, in the order they are sampled


def per_persona(attr: str) -> np.ndarray:
    """One :class:`Persona` attribute as an array indexed by persona."""
    return np.array([getattr(p, attr) for p in PERSONAS], np.float64)


def segment_starts(lengths: np.ndarray) -> np.ndarray:
    """Where each run starts in the concatenation of runs of these lengths."""
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


@dataclass
class Users:
    """The users of one chunk and what sets their shopping apart inside their persona."""

    persona: np.ndarray
    role_persona: np.ndarray  # (users, 2): the persona of each role
    blended: np.ndarray  # has a second persona
    blend_weight: np.ndarray  # share of sessions after the first that play the second persona
    activity: np.ndarray  # multiplier of the expected number of sessions
    noise_rate: np.ndarray  # share of views outside the user's taste

    def __len__(self) -> int:
        return len(self.persona)


@dataclass
class Sessions:
    user: np.ndarray
    role: np.ndarray
    persona: np.ndarray  # the persona of the role the session plays


@dataclass
class Views:
    """Every view of the chunk inside the requested months, in session order."""

    session: np.ndarray
    time: np.ndarray  # epoch seconds
    user: np.ndarray
    role: np.ndarray
    persona: np.ndarray

    def __len__(self) -> int:
        return len(self.time)


def draw_users(rng: np.random.Generator, persona: np.ndarray, secondary: np.ndarray) -> Users:
    """Each user's roles, blend weight, activity multiplier (mean 1, heavy tail; 1 for bots) and noise rate."""
    n_users = len(persona)
    blended = secondary >= 0
    role_persona = np.stack([persona, np.where(blended, secondary, persona)], axis=1).astype(np.int64)
    blend_weight = np.where(blended, rng.uniform(*blurs.BLEND_WEIGHT, n_users), 0.0)
    sigma = blurs.ACTIVITY_SIGMA
    activity = np.where(persona == PERSONA_NAMES.index("bot"), 1.0, rng.lognormal(-(sigma**2) / 2, sigma, n_users))
    noise_rate = rng.uniform(*blurs.NOISE_RATE, n_users)
    return Users(persona, role_persona, blended, blend_weight, activity, noise_rate)


def draw_sessions(rng: np.random.Generator, clock: Clock, users: Users) -> tuple[Sessions, np.ndarray]:
    """Each user's sessions (one guaranteed, more by persona, span and activity), the role each plays
    and its start time (before spacing)."""
    months_of = np.array(
        [clock.months_of_traffic(p.time_profile) if p.time_profile in clock.cdfs else 0.0 for p in PERSONAS]
    )
    extra = per_persona("sessions_per_month") * months_of * per_persona("span")  # expected sessions after the first
    w = users.blend_weight
    rate = users.activity * ((1.0 - w) * extra[users.role_persona[:, 0]] + w * extra[users.role_persona[:, 1]])
    n_sessions = 1 + rng.poisson(rate)
    n_sessions = np.maximum(n_sessions, per_persona("min_sessions")[users.persona].astype(np.int64))
    s_user = np.repeat(np.arange(len(users)), n_sessions)
    s_role = (rng.random(len(s_user)) < w[s_user]).astype(np.int64)
    s_role[segment_starts(n_sessions)] = 0  # the first session is the persona's own
    sessions = Sessions(s_user, s_role, users.role_persona[s_user, s_role])
    # each user is active in a stretch of ``span`` of the profile's traffic, placed on a circle so
    # that every part of the window gets its share (a stretch may wrap from the end to the start)
    lo = rng.random(len(users))
    u = np.mod(lo[s_user] + rng.random(len(s_user)) * per_persona("span")[sessions.persona], 1.0)
    s_profile = np.array([p.time_profile for p in PERSONAS])[sessions.persona]
    start = np.empty(len(s_user), np.int64)
    for profile in PROFILES:
        mask = s_profile == profile
        if mask.any():
            start[mask] = clock.sample(profile, u[mask])
    return sessions, start


def draw_views(rng: np.random.Generator, clock: Clock, sessions: Sessions, start: np.ndarray) -> Views:
    """The views of every session, seconds to minutes apart, kept when they fall inside the requested months."""
    n_views = rng.geometric(1.0 / per_persona("views_per_session")[sessions.persona])
    v_session = np.repeat(np.arange(len(sessions.user)), n_views)
    gap = 1 + rng.lognormal(np.log(per_persona("view_gap_s")[sessions.persona[v_session]]), 0.9).astype(np.int64)
    first_of_session = segment_starts(n_views)
    gap[first_of_session] = 0
    cum = np.cumsum(gap)
    v_offset = cum - cum[first_of_session][v_session]
    duration = v_offset[first_of_session + n_views - 1] + SESSION_TAIL_S
    v_time = _spaced_starts(start, duration, sessions.user)[v_session] + v_offset
    # drop views past the end and outside the requested months (a gap in --months)
    keep = v_time < clock.end
    hour = np.clip((v_time - clock.hour0) // 3600, 0, clock.hours - 1)
    keep &= clock.in_window[hour]
    v_session, v_time = v_session[keep], v_time[keep]
    return Views(v_session, v_time, sessions.user[v_session], sessions.role[v_session], sessions.persona[v_session])


def _spaced_starts(start: np.ndarray, duration: np.ndarray, user: np.ndarray) -> np.ndarray:
    """Sessions of one user in time order, at least :data:`SESSION_PAUSE_S` apart.

    start'_i = max(start_i, start'_{i-1} + duration_{i-1} + pause), as a running max per user.
    """
    order = np.lexsort((start, user))
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    st, du, us = start[order], duration[order] + SESSION_PAUSE_S, user[order]
    before = np.cumsum(du) - du
    user_first = np.searchsorted(us, us, side="left")
    push = before - before[user_first]
    big = np.int64(1) << np.int64(40)
    running = np.maximum.accumulate(st - push + us.astype(np.int64) * big) - us.astype(np.int64) * big
    return (running + push)[inv]
