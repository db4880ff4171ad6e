"""Account-level tasks: pairs of accounts (identity_correlator) and social profiles (bot_detector)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fortress.catalog.fields import ACCOUNT_PAIR_FIELDS, ACCOUNT_PROFILE_FIELDS, SOURCE_TYPE_FIELDS
from fortress.datasets.simulator.base import (
    Sample,
    beta_mean,
    counts,
    flip_binary,
    frame,
    lognormal,
    pick,
)

# identity_correlator archetypes, different entities: stranger, coworker, household, namesake;
# the same entity: careless alt, sock puppet, migrated account.
_PAIR_WEIGHTS = (0.60, 0.11, 0.06, 0.08, 0.072, 0.05, 0.028)
_PAIR_SAME = np.array([0, 0, 0, 0, 1, 1, 1])
_NAME_SIM = np.array([0.15, 0.2, 0.45, 0.82, 0.72, 0.3, 0.6])
_EMAIL_MATCH = np.array([0.15, 0.8, 0.4, 0.15, 0.55, 0.25, 0.45])
_SHARED_IPS = np.array([0.12, 2.2, 3.0, 0.12, 2.5, 1.4, 1.0])
_DEVICE_SHARED = np.array([0.02, 0.05, 0.3, 0.02, 0.6, 0.45, 0.2])  # P(any overlap)
_DEVICE_OVERLAP = np.array([0.2, 0.25, 0.35, 0.2, 0.55, 0.45, 0.3])  # mean overlap when any
_SAME_TZ = np.array([0.35, 0.95, 0.95, 0.35, 0.85, 0.8, 0.75])
_ACTIVITY = np.array([0.55, 0.78, 0.68, 0.55, 0.8, 0.76, 0.72])  # mean of (corr + 1) / 2
_STYLE = np.array([0.35, 0.45, 0.45, 0.36, 0.62, 0.6, 0.62])
_GAP_DAYS = np.array([400.0, 300.0, 250.0, 500.0, 90.0, 12.0, 600.0])
_MUTUALS = np.array([0.4, 12.0, 9.0, 0.5, 5.0, 1.5, 12.0])


def identity_pairs(n: int, rng: np.random.Generator) -> Sample:
    """Candidate account pairs; about 15 % belong to one real-world entity."""
    kind = pick(rng, _PAIR_WEIGHTS, n)
    name = beta_mean(rng, _NAME_SIM[kind], 5.0, n)
    username = np.clip(0.55 * name + 0.45 * beta_mean(rng, _NAME_SIM[kind] * 0.8, 4.0, n), 0.0, 1.0)
    any_device = rng.random(n) < _DEVICE_SHARED[kind]
    device = np.where(any_device, beta_mean(rng, _DEVICE_OVERLAP[kind], 4.0, n), 0.0)
    same_tz = rng.random(n) < _SAME_TZ[kind]
    tz_diff = np.where(same_tz, 0.0, np.minimum(rng.geometric(0.25, n), 12)).astype(np.float64)
    columns = {
        "display_name_similarity": name,
        "username_similarity": username,
        "email_domain_match": (rng.random(n) < _EMAIL_MATCH[kind]).astype(np.float64),
        "shared_ip_count": counts(rng, _SHARED_IPS[kind], 0.7, n),
        "device_fingerprint_overlap": device,
        "timezone_diff_hours": tz_diff,
        "activity_hour_correlation": 2.0 * beta_mean(rng, _ACTIVITY[kind], 7.0, n) - 1.0,
        "writing_style_similarity": beta_mean(rng, _STYLE[kind], 9.0, n),
        "creation_gap_days": np.floor(lognormal(rng, _GAP_DAYS[kind], 1.3, n)),
        "mutual_contacts": counts(rng, _MUTUALS[kind], 0.8, n),
    }
    y = flip_binary(_PAIR_SAME[kind].astype(np.int64), rng, 0.03, 0.005)
    return Sample(frame(columns, ACCOUNT_PAIR_FIELDS), y)


FOLLOWER_BANDS = ("1k", "100k", "1M", "10M")
_BAND_FOLLOWERS = np.array([1e3, 1e5, 1e6, 1e7])
# bot_detector archetypes: casual human, active human, celebrity/brand; spam bot, news feed bot, follow bot.
_BOT_WEIGHTS = (0.3, 0.17, 0.08, 0.2, 0.15, 0.1)
_IS_BOT = np.array([0, 0, 0, 1, 1, 1])
_BAND_P = np.array(  # P(follower band | archetype)
    [
        [0.55, 0.3, 0.1, 0.05],
        [0.3, 0.4, 0.2, 0.1],
        [0.05, 0.25, 0.4, 0.3],
        [0.45, 0.35, 0.15, 0.05],
        [0.2, 0.4, 0.3, 0.1],
        [0.6, 0.3, 0.08, 0.02],
    ]
)
# P(the account tweets from source kind 0..6 | archetype), after Stweeler's source_identity shares.
_SOURCE_P = np.array(
    [
        [0.12, 0.28, 0.88, 0.08, 0.03, 0.002, 0.0],
        [0.15, 0.30, 0.87, 0.12, 0.04, 0.005, 0.0],
        [0.25, 0.30, 0.70, 0.30, 0.10, 0.02, 0.005],
        [0.50, 0.25, 0.40, 0.15, 0.25, 0.04, 0.01],
        [0.45, 0.30, 0.35, 0.20, 0.30, 0.08, 0.01],
        [0.40, 0.35, 0.70, 0.10, 0.15, 0.02, 0.005],
    ]
)
_TWEETS = np.array([300.0, 2500.0, 4000.0, 9000.0, 15000.0, 800.0])
_RETWEET_SHARE = np.array([0.3, 0.35, 0.2, 0.55, 0.15, 0.6])
_REPLY_SHARE = np.array([0.15, 0.25, 0.12, 0.03, 0.01, 0.04])
_FAV_PER_TWEET = np.array([2.0, 1.5, 0.4, 0.2, 0.05, 1.2])
_AGE_DAYS = np.array([1500.0, 2000.0, 2500.0, 500.0, 1200.0, 300.0])
_SOURCES = np.array([2.0, 3.0, 4.0, 1.2, 1.0, 1.5])
_URL_SHARE = np.array([0.15, 0.2, 0.35, 0.6, 0.9, 0.3])
_FF_RATIO = np.array([1.0, 2.0, 50.0, 0.5, 20.0, 0.15])


def bot_accounts(n: int, rng: np.random.Generator) -> Sample:
    """Social accounts in four follower bands; about 45 % are automated."""
    kind = pick(rng, _BOT_WEIGHTS, n)
    band = (rng.random(n)[:, None] > np.cumsum(_BAND_P[kind], axis=1)[:, :-1]).sum(axis=1)
    followers = _BAND_FOLLOWERS[band] * lognormal(rng, 1.0, 0.5, n)
    tweets = np.ceil(lognormal(rng, _TWEETS[kind], 1.0, n))
    retweeted = np.floor(tweets * beta_mean(rng, _RETWEET_SHARE[kind], 6.0, n))
    replied = np.floor(tweets * beta_mean(rng, _REPLY_SHARE[kind], 6.0, n))
    favourited = np.floor(tweets * lognormal(rng, _FAV_PER_TWEET[kind], 0.9, n))
    age = np.ceil(lognormal(rng, _AGE_DAYS[kind], 0.7, n))
    popularity = np.log10(followers) / 7.0
    likes = lognormal(rng, 2.0 + 200.0 * popularity**3, 1.1, n)
    columns: dict[str, npt.ArrayLike] = {
        "user_tweeted": tweets - retweeted - replied,
        "user_retweeted": retweeted,
        "user_favourited": favourited,
        "user_replied": replied,
        "likes_per_tweet": likes * np.where(_IS_BOT[kind] == 1, 0.5, 1.0),
        "retweets_per_tweet": likes * beta_mean(rng, 0.3, 4.0, n),
        "lists_per_user": followers * lognormal(rng, 0.004, 1.0, n) / 100.0,
        "follower_friend_ratio": lognormal(rng, _FF_RATIO[kind] * (1 + 4 * popularity), 1.1, n),
        "tweet_frequency": tweets / age,
        "favourite_tweet_ratio": favourited / tweets,
        "age_of_account_in_days": age,
        "sources_count": 1.0 + counts(rng, _SOURCES[kind] - 1.0, 2.0, n),
        "urls_count": np.floor(tweets * beta_mean(rng, _URL_SHARE[kind], 5.0, n)),
        "cdn_content_in_kb": lognormal(rng, 50.0, 2.0, n) * (rng.random(n) < 0.7),
    }
    sources = rng.random((n, len(SOURCE_TYPE_FIELDS))) < _SOURCE_P[kind]
    none = ~sources.any(axis=1)
    sources[none, _SOURCE_P[kind[none]].argmax(axis=1)] = True  # every account tweets from something
    for i, name in enumerate(SOURCE_TYPE_FIELDS):
        columns[name] = sources[:, i].astype(np.float64)
    columns["sources_count"] = np.maximum(columns["sources_count"], sources.sum(axis=1))
    columns["follower_band"] = np.asarray(FOLLOWER_BANDS, dtype=object)[band]
    y = flip_binary(_IS_BOT[kind].astype(np.int64), rng, 0.03, 0.03)
    return Sample(frame(columns, (*ACCOUNT_PROFILE_FIELDS, *SOURCE_TYPE_FIELDS, "follower_band")), y)
