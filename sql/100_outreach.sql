-- Ranked outreach per industry. Business rules:
--   * relevance (0-1) is worth up to 60 points: the right industry matters most;
--   * warmth (1st-degree, alumni, recent messages) adds its points as scored: warm beats cold
--     at equal relevance;
--   * reach (email, LinkedIn, name only) breaks ties toward people who can be contacted;
--   * at most 3 people per company, so one employer does not fill the list.
create or replace view outreach_all as
with relevant as (
    select * from person_industries
),
scored as (
    select
        relevant.industry,
        persons.person_id,
        persons.full_name,
        persons.company,
        persons.title,
        persons.email,
        persons.linkedin_url,
        persons.company_key,
        relevant.relevance,
        signals.warmth,
        signals.reach,
        signals.channel,
        round(relevant.relevance * 60) :: integer as relevance_points,
        round(relevant.relevance * 60) :: integer + signals.warmth + signals.reach as score,
        relevant.relevance_evidence,
        signals.warmth_evidence
    from relevant
    join persons using (person_id)
    join person_signals as signals using (person_id)
),
final as (
    select
        *,
        concat_ws(
            ' · ',
            nullif(warmth_evidence, 'cold'),
            concat_ws(', ', company, title),
            relevance_evidence,
            'contact by ' || channel
        ) as reason,
        row_number() over (
            partition by industry, coalesce(company_key, person_id)
            order by score desc, relevance desc, full_name, person_id
        ) as company_rank
    from scored
)
select * from final;

create or replace view outreach as
with capped as (
    select * from outreach_all where company_rank <= 3
),
final as (
    select
        row_number() over (
            partition by industry order by score desc, relevance desc, full_name, person_id
        ) as rank,
        industry,
        person_id,
        full_name,
        company,
        title,
        score,
        relevance_points,
        warmth,
        reach,
        channel,
        email,
        linkedin_url,
        reason
    from capped
)
select * from final;
