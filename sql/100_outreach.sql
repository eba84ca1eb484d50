-- Ranked outreach per industry: who to ask first, and why.
--
-- Business rules (`discover` calls this macro for rankings with other settings; the
-- `outreach_ranking` table the views in sql/110_outreach_ranking.sql read is the same ranking
-- with the database's own, computed at refresh by pipeline/stored_ranking.py; a test checks that
-- the two agree). The points are written once, in pipeline/ranking_points.py: warmth and reach
-- arrive scored in person_signals, role fit and location points come from ranking_settings.
--   * relevance (0-1: how surely the person works in the industry) is worth up to 100 points,
--     and nobody under min_relevance (default 0.5, from ranking_settings) is listed;
--   * warmth adds its points as scored (1st-degree connection, alumnus with a close class year,
--     recent messages, a connection who can introduce you: see person_signals.warmth);
--   * role fit: points_for_role when the title has one of the seeker's roles, and
--     points_for_target_level when the seniority is the seeker's target level or up to
--     levels_above over it (potential managers), points_for_other_level below it or unknown,
--     0 for executives above that (they rarely answer);
--   * location: points_for_location when the location matches one of the seeker's locations;
--   * reach: the points for an email on file or a LinkedIn profile (person_signals.reach).
--   * joining: points_for_joining when the person moved into this industry between two of the
--     seeker's LinkedIn exports (job_changes), and the reason says so ("joined Moderna since
--     your March export"): someone new in the industry is worth asking first.
--   Non-warmth parts add up to less than any one warm signal, so at equal relevance a warm
--   contact always ranks above a cold one.
--   * at most company_cap people per company (default 3), so one employer does not fill the list.
--   * nobody the outreach journal marks do_not_contact is ever listed (sql/050_outreach_state.sql).
-- Parameters left NULL take their value from the ranking_settings table (the seeker profile
-- the database was built with).
-- (Parameter names differ from column names: inside the query a column would win.)
create or replace macro outreach_ranked(
    want_industry, want_roles, want_locations, want_cap, want_level, want_levels_above
) as table
with settings as (
    select
        coalesce(want_roles, ranking_settings.roles_pattern) as roles_pattern,
        coalesce(want_locations, ranking_settings.locations_pattern) as locations_pattern,
        coalesce(want_cap, ranking_settings.company_cap) as company_cap,
        coalesce(want_level, ranking_settings.target_level) as target_level,
        coalesce(want_levels_above, ranking_settings.levels_above) as levels_above,
        ranking_settings.min_relevance,
        ranking_settings.points_for_role,
        ranking_settings.points_for_target_level,
        ranking_settings.points_for_other_level,
        ranking_settings.points_for_location,
        ranking_settings.points_for_joining
    from ranking_settings
),
moves as (
    -- The newest move into each industry per person (joined_industries holds its parents too).
    select person_id, industry, arg_max(summary, first_seen_on) as move_summary
    from (
        select person_id, unnest(joined_industries) as industry, summary, first_seen_on
        from job_changes
    )
    group by person_id, industry
),
relevant as (
    select person_industries.*
    from person_industries, settings
    where (want_industry is null or person_industries.industry = want_industry)
      and person_industries.relevance >= settings.min_relevance
      and not exists (
          select 1 from outreach_state
          where outreach_state.person_id = person_industries.person_id
            and outreach_state.do_not_contact
      )
),
joined as (
    select
        relevant.industry,
        relevant.industry_id,
        persons.person_id,
        persons.full_name,
        persons.company,
        persons.title,
        persons.location,
        persons.email,
        persons.linkedin_url,
        persons.company_key,
        relevant.relevance,
        relevant.relevance_evidence,
        signals.warmth,
        signals.warmth_evidence,
        signals.reach,
        signals.reach_evidence,
        signals.channel,
        signals.seniority,
        signals.seniority_level,
        moves.move_summary,
        outreach_title_text(persons.title) as title_text,
        outreach_location_text(persons.location) as location_text,
        settings.*
    from relevant
    join persons using (person_id)
    join person_signals as signals using (person_id)
    left join moves
        on moves.person_id = relevant.person_id and moves.industry = relevant.industry
    cross join settings
),
parts as (
    select
        *,
        round(relevance * 100) :: integer as relevance_points,
        case
            when roles_pattern is not null and regexp_matches(title_text, roles_pattern)
                then points_for_role
            else 0
        end as role_points,
        case
            when seniority_level is null then points_for_other_level
            when seniority_level < target_level then points_for_other_level
            when seniority_level <= target_level + levels_above then points_for_target_level
            else 0
        end as seniority_points,
        case
            when locations_pattern is not null and regexp_matches(location_text, locations_pattern)
                then points_for_location
            else 0
        end as location_points,
        case when move_summary is not null then points_for_joining else 0 end as joining_points
    from joined
),
scored as (
    select
        *,
        relevance_points + warmth + role_points + seniority_points + location_points + reach
            + joining_points as score,
        row_number() over (
            partition by industry, coalesce(company_key, person_id)
            order by
                relevance_points + warmth + role_points + seniority_points + location_points
                    + reach + joining_points desc,
                relevance desc, full_name, person_id
        ) as company_rank
    from parts
),
capped as (
    select * from scored where company_rank <= company_cap
),
final as (
    select
        row_number() over (
            partition by industry order by score desc, relevance desc, warmth desc, full_name, person_id
        ) as rank,
        industry,
        person_id,
        full_name,
        company,
        title,
        location,
        score,
        relevance,
        relevance_points,
        warmth,
        role_points + seniority_points as role_fit,
        location_points,
        reach,
        joining_points,
        channel,
        seniority,
        email,
        linkedin_url,
        company_rank,
        concat_ws(
            ' · ',
            warmth_evidence,
            move_summary,
            nullif(concat_ws(', ', company, title), ''),
            case when location_points > 0 then 'in ' || location end,
            reach_evidence
        ) as reason,
        relevance_evidence
    from capped
)
select * from final;
