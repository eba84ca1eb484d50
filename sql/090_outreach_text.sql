-- The text the seeker's role and location patterns are matched against (sql/100_outreach.sql),
-- for the stored ranking too (pipeline/stored_ranking.py): a title as lower-case words and
-- digits, a location in lower case; nothing becomes the empty string.
create or replace macro outreach_title_text(title) as
    regexp_replace(lower(coalesce(title, '')), '[^a-z0-9]+', ' ', 'g');

create or replace macro outreach_location_text(location) as lower(coalesce(location, ''));
