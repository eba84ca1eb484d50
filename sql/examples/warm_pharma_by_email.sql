-- Warm pharma contacts who can be emailed, best first.
select rank, full_name, company, title, score, reason
from outreach
where industry = 'Pharmaceutical Manufacturing' and warmth > 0 and channel = 'email'
order by rank;
