-- The views over the stored ranking, `outreach_ranking`: the ranking with the database's own
-- seeker profile (ranking_settings), computed at refresh (pipeline/stored_ranking.py, the same
-- rules as the `outreach_ranked` macro) and written in (industry, rank) order, so that a query
-- for one industry's top rows reads only the few row groups that hold that industry. `discover`
-- reads these; a ranking with other roles, locations, cap or seniority calls the macro.

-- Every listed person per industry, before the per-company cap (company_rank says where each
-- stands within their employer).
create or replace view outreach_all as
select * exclude (listed_rank) from outreach_ranking;

-- The outreach list: ranked, capped per company, with the score's parts and a plain reason.
create or replace view outreach as
select * exclude (listed_rank) replace (listed_rank as rank)
from outreach_ranking
where listed_rank is not null;
