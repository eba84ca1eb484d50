-- The to-contact list: the outreach list without the people already contacted, as of the last
-- refresh (`discover` also reads the journal as it is now, so it needs no refresh for this).
-- People marked do_not_contact never reach any ranking (sql/100_outreach.sql).
create or replace view outreach_to_contact as
with source as (
    select * from outreach
),
final as (
    select source.*
    from source
    where not exists (
        select 1 from outreach_state as state
        where state.person_id = source.person_id and state.contacted
    )
)
select * from final;
