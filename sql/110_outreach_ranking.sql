-- The default ranking, computed once when the database is built.
--
-- `outreach_ranked` ranks every person on each call: at a million persons that is seconds, too
-- slow for `discover`. The ranking with the database's own seeker profile (ranking_settings)
-- is kept here instead, stored in (industry, rank) order so that a query for one industry's
-- top rows reads only the few row groups that hold that industry. `outreach` and `outreach_all`
-- read this table; a ranking with other roles, locations, cap or seniority still calls the
-- macro. A table built by the refresh: it never goes stale, since every refresh rebuilds it.
create table outreach_ranking as
select
    -- Filled in below: the rank in the capped list (null for people the cap holds back).
    null :: bigint as listed_rank,
    *
from outreach_ranked(null, null, null, 2147483647, null, null)
order by industry, rank;

-- The capped list keeps the same order, counting only the people within their company's cap:
-- a few rows per company, so numbering them apart is cheaper than a window over every row.
update outreach_ranking
set listed_rank = listed.listed_rank
from (
    select
        ranked.industry,
        ranked.person_id,
        row_number() over (partition by ranked.industry order by ranked.rank) as listed_rank
    from outreach_ranking as ranked
    join ranking_settings on ranked.company_rank <= ranking_settings.company_cap
) as listed
where outreach_ranking.industry = listed.industry
  and outreach_ranking.person_id = listed.person_id;

comment on table outreach_ranking is 'The outreach ranking with the database''s own profile (ranking_settings), every listed person per industry in (industry, rank) order; outreach and outreach_all read it';
comment on column outreach_ranking.listed_rank is 'Rank in the capped list (the outreach view); null when the per-company cap holds the person back';
comment on column outreach_ranking.rank is 'Rank among every listed person of the industry, before the cap (the outreach_all view)';
comment on column outreach_ranking.company_rank is 'Where the person stands within their employer; the cap keeps company_rank <= ranking_settings.company_cap';

-- Every listed person per industry, before the per-company cap (company_rank says where each
-- stands within their employer).
create or replace view outreach_all as
select * exclude (listed_rank) from outreach_ranking;

-- The outreach list: ranked, capped per company, with the score's parts and a plain reason.
create or replace view outreach as
select * exclude (listed_rank) replace (listed_rank as rank)
from outreach_ranking
where listed_rank is not null;
