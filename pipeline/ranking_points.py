"""The points that make up a ranking score, each written once.

``score = relevance points + warmth + role fit + location + reach``. Warmth and reach are scored
per person (pipeline.score, stored in ``person_signals``); role fit and location depend on the
seeker's profile, so the outreach macro (sql/100_outreach.sql) reads their points from
``ranking_settings``, which is written from here. The column comments and the README's ranking
table are worded from the same numbers (a test checks the README).
"""

from __future__ import annotations

# Relevance (0-1) counts up to this many points.
RELEVANCE_POINTS = 100

# Warmth. Every warm signal is worth more than all non-warmth parts together (see
# NON_WARMTH_MAX), so at equal relevance a warm contact always ranks above a cold one. A
# 1st-degree connection outweighs a shared school plus an introduction path (30 + 5 + 20):
# asking someone you know comes first.
FIRST_DEGREE_POINTS = 60
ALUMNI_POINTS = 30
# An alumnus whose class year is within this many years of the seeker's gets these points more.
CLASS_YEAR_POINTS: tuple[tuple[int, int], ...] = ((2, 5), (5, 3), (10, 1))
# Messages in the last two years both ways (a conversation); one way only counts less.
RECENT_MESSAGE_POINTS = 20
ONE_WAY_MESSAGE_POINTS = 10
INTRODUCTION_POINTS = 20
# What a Complete LinkedIn export adds. A recommendation, either way, is as warm as a shared
# school; the lighter touches add less than role fit, location and reach together.
RECOMMENDATION_POINTS = 30
INVITATION_NOTE_POINTS = 10
ENDORSEMENT_POINTS = 5
NOTE_POINTS = 5
# The person works at an employer the seeker follows, saved a job at or applied to.
INTEREST_POINTS = 10
# Per industry (sql/100_outreach.sql reads it from ranking_settings): the person moved into
# this industry between two of the seeker's exports, so is worth asking first.
JOINED_INDUSTRY_POINTS = 20

# Role fit: a title with one of the seeker's roles, and seniority (at the target level or up to
# levels_above over it; below it or unknown; executives above that get none).
ROLE_POINTS = 8
TARGET_LEVEL_POINTS = 4
OTHER_LEVEL_POINTS = 1

# Location: the person's location matches one of the seeker's.
LOCATION_POINTS = 4

# Reach: how the seeker can make contact.
EMAIL_REACH = 3
PROFILE_REACH = 2

NON_WARMTH_MAX = (
    ROLE_POINTS + TARGET_LEVEL_POINTS + LOCATION_POINTS + max(EMAIL_REACH, PROFILE_REACH)
)


def _slashed(values: list[int]) -> str:
    return "/".join(str(v) for v in values)


# The rules in words, as the README's ranking table and the column comments give them.
WARMTH_RULE = (
    f"1st-degree {FIRST_DEGREE_POINTS}, alumnus {ALUMNI_POINTS} "
    f"(+{_slashed([p for _, p in CLASS_YEAR_POINTS])} for a class year within "
    f"{_slashed([y for y, _ in CLASS_YEAR_POINTS])} of yours), messages in the last two years "
    f"{RECENT_MESSAGE_POINTS} both ways or {ONE_WAY_MESSAGE_POINTS} one way, a 1st-degree "
    f"colleague who can introduce you {INTRODUCTION_POINTS}, a recommendation either way "
    f"{RECOMMENDATION_POINTS}, an invitation with a personal note {INVITATION_NOTE_POINTS}, "
    f"endorsements {ENDORSEMENT_POINTS}, your own note on them {NOTE_POINTS}, an employer you "
    f"follow, saved a job at or applied to {INTEREST_POINTS}"
)
JOINED_RULE = (
    f"{JOINED_INDUSTRY_POINTS} when they moved into the listed industry between two of your "
    "LinkedIn exports"
)
ROLE_RULE = (
    f"title has one of your roles {ROLE_POINTS}; seniority at your target or up to "
    f"`levels_above` over it {TARGET_LEVEL_POINTS}, below it or unknown {OTHER_LEVEL_POINTS}, "
    "executives above that 0"
)
LOCATION_RULE = f"{LOCATION_POINTS} when the location matches one of yours"
REACH_RULE = f"email {EMAIL_REACH}, LinkedIn profile {PROFILE_REACH}, name only 0"
