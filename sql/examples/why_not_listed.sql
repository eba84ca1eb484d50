-- Who the per-company cap held back, and who is just under the relevance bar.
select 'held back by the company cap' as why, full_name, company, title, score, relevance
from outreach_all
where industry = 'Pharmaceutical Manufacturing'
  and company_rank > (select company_cap from ranking_settings)
union all
select 'relevance under the bar', persons.full_name, persons.company, persons.title, null,
    person_industries.relevance
from person_industries
join persons using (person_id)
where person_industries.industry = 'Pharmaceutical Manufacturing'
  and person_industries.relevance < (select min_relevance from ranking_settings)
order by why, relevance desc;
