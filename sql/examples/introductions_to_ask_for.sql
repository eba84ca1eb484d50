-- Introductions to ask for: for each 1st-degree connection, the colleagues they could introduce
-- you to in a target industry (change the industry to yours).
select
    signals.introducer_name as ask,
    count(*) as colleagues,
    string_agg(outreach.full_name || ' (' || coalesce(outreach.title, '?') || ')', '; '
        order by outreach.rank) as who
from outreach_all as outreach
join person_signals as signals using (person_id)
where outreach.industry = 'Pharmaceutical Manufacturing'
  and signals.introducer_name is not null
group by signals.introducer_name
order by colleagues desc, ask;
