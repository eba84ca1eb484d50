-- Every source record beside the person it was matched to: the trail from a ranked row back to
-- the input files and rows that support it.
create or replace view person_sources as
with records as (
    select * from source_records
),
final as (
    select
        records.person_id,
        persons.full_name as person_name,
        records.record_id,
        records.source_kind,
        records.source_file,
        records.source_row,
        records.full_name as name_as_written,
        records.company as company_as_written,
        records.title as title_as_written,
        records.as_of
    from records
    join persons using (person_id)
)
select * from final;
