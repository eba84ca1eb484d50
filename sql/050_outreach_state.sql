-- Where each person stands in the outreach loop, from the journal as of the last refresh.
--
-- Business rules:
--   * contacted: anything but a referral was logged (asked, followed up, replied, declined,
--     scheduled, met, thanked, checked in): they leave the to-contact list;
--   * do_not_contact: never listed again, in any ranking (sql/100_outreach.sql);
--   * referred_by: the latest referral wins; the refresh counts it as warmth (person_signals).
-- Lines that resolve to nobody (outreach_log.problem) have no person_id and are left out here.
create or replace view outreach_state as
with source as (
    select * from outreach_log where person_id is not null
),
final as (
    select
        person_id,
        any_value(full_name) as full_name,
        count(*) as touches,
        max("on") as last_touch_on,
        max("on") filter (where action = 'asked') as last_asked_on,
        max("on") filter (where action = 'met') as last_met_on,
        arg_max(action, ("on", line)) as last_action,
        bool_or(action not in ('referred', 'do_not_contact')) as contacted,
        bool_or(action = 'do_not_contact') as do_not_contact,
        arg_max(referred_by_name, ("on", line)) filter (where action = 'referred')
            as referred_by_name,
        arg_max(referred_by_id, ("on", line)) filter (where action = 'referred')
            as referred_by_id
    from source
    group by person_id
)
select * from final;
