-- The ranking with your own settings, without rebuilding: the macro's parameters are the target
-- industry, a roles regex over the lower-case title, a locations regex, the per-company cap,
-- the target seniority level (0 intern .. 6 executive) and how many levels above it count.
-- NULL keeps the database's ranking_settings.
select rank, full_name, company, title, score, relevance_points, warmth, role_fit, reason
from outreach_ranked(
    'Biotechnology Research', '\b(clinical research|regulatory affairs)\b', '\b(boston|cambridge)\b',
    2, 3, 1
)
order by rank
limit 20;
