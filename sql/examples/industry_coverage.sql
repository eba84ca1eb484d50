-- How many people each industry has, by top-level group of LinkedIn's taxonomy, and how sure.
select
    industries.industry,
    industries.naics,
    count(*) as people,
    count(*) filter (where relevance >= 0.8) as sure,
    round(avg(relevance), 2) as mean_relevance
from person_industries
join industries using (industry_id)
group by all
order by people desc
limit 25;
