{#-
    Fails when the SQL of a model holds a literal number that is a value of the seed
    `seg_thresholds` next to a comparison (`>= 3`, `30 <`, `between 6 and 10`) or as a date
    offset (`interval 30 day`, `dateadd('day', -30, ...)`). Such numbers belong in the seed,
    read through `threshold()`. Scans every model of the project outside models/staging/
    (staging applies the raw contract, whose numbers, such as city tier 1 to 5 or the
    one-day future tolerance, are the contract's, not segmentation rules), comments removed.

    Jinja expressions count as one opaque token, except that comparisons and date offsets
    written inside them are scanned too. The values 0 and 1 are everywhere in SQL that is not
    a rule (`row_number() = 1`, duplicate copies `> 1`, `interval 1 day`), so they are only
    reported when compared with a column of the segmentation marts (e.g.
    `purchases_365d <= 1`); the rules that use them are pinned by unit tests as well.
-#}
{%- set violations = [] -%}
{%- if execute -%}
    {%- set seed_rows = run_query('select threshold_value from ' ~ ref('seg_thresholds')) -%}
    {%- set seed_values = [] -%}
    {%- for row in seed_rows -%}
        {%- do seed_values.append(row[0] | float) -%}
    {%- endfor -%}

    {#- columns of the segmentation marts and intermediates: the rule inputs -#}
    {%- set rule_columns = [] -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model'
            and (node.original_file_path.startswith('models/marts/segmentation/')
                 or node.original_file_path.startswith('models/intermediate/')) -%}
            {%- for column_name in node.columns -%}
                {%- do rule_columns.append(column_name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}

    {%- set number = '(-?[0-9]+(?:[.][0-9]+)?)' -%}
    {%- set operator = '(<=|>=|<>|!=|<|>|=)' -%}
    {%- set patterns = [
        '([A-Za-z_][A-Za-z0-9_.]*)?\\s*' ~ operator ~ '\\s*[(]?\\s*' ~ number ~ '(?![A-Za-z0-9_.])',
        '(?<![A-Za-z0-9_.])' ~ number ~ '\\s*' ~ operator ~ '\\s*([A-Za-z_][A-Za-z0-9_.]*)?',
        '\\bbetween\\s+' ~ number ~ '\\s+and\\s+' ~ number ~ '(?![A-Za-z0-9_.])',
        '\\binterval\\s+\'?' ~ number,
        'date_?add\\s*[(]\\s*[\'"]?[A-Za-z]+[\'"]?\\s*,\\s*' ~ number,
    ] -%}

    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
            and not node.original_file_path.startswith('models/staging/') -%}
            {#- drop comments: jinja, block, line -#}
            {%- set sql = modules.re.sub('(?s)[{]#.*?#[}]', ' ', node.raw_code) -%}
            {%- set sql = modules.re.sub('(?s)/[*].*?[*]/', ' ', sql) -%}
            {%- set sql = modules.re.sub('--[^\\n]*', ' ', sql) -%}
            {#- jinja: scan its comparisons (not `=`, which passes keyword arguments) and
                offsets, then replace it by an opaque token -#}
            {%- set jinja_blocks = modules.re.findall('(?s)[{][{%].*?[%}][}]', sql) -%}
            {%- set texts = [modules.re.sub('(?s)[{][{%].*?[%}][}]', ' jinja_expression ', sql)] -%}
            {%- for block in jinja_blocks -%}
                {%- do texts.append(modules.re.sub('(?<![<>!=])=(?!=)', ' ', block)) -%}
            {%- endfor -%}
            {%- for text in texts -%}
                {%- for pattern in patterns -%}
                    {%- for match in modules.re.finditer(pattern, text, modules.re.IGNORECASE) -%}
                        {%- set groups = match.groups() -%}
                        {%- set numbers = [] -%}
                        {%- set operands = [] -%}
                        {%- for group in groups -%}
                            {%- if group is not none and modules.re.fullmatch(number, group) -%}
                                {%- do numbers.append(group) -%}
                            {%- elif group is not none and modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_.]*', group) -%}
                                {%- do operands.append(group.split('.')[-1] | lower) -%}
                            {%- endif -%}
                        {%- endfor -%}
                        {%- for literal in numbers -%}
                            {%- set value = literal | float | abs -%}
                            {%- set is_common = value in [0.0, 1.0] -%}
                            {%- set names_rule_column = operands | select('in', rule_columns) | list | length > 0 -%}
                            {%- if value in seed_values and (not is_common or names_rule_column) -%}
                                {%- do violations.append({
                                    'model_name': node.name,
                                    'snippet': match.group(0) | replace("'", "''") | trim,
                                }) -%}
                            {%- endif -%}
                        {%- endfor -%}
                    {%- endfor -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}

with

thresholds as (
    select * from {{ ref('seg_thresholds') }}
),

violations as (
    {%- for violation in violations %}
    select
        '{{ violation.model_name }}' as model_name,
        '{{ violation.snippet }}' as snippet
    union all
    {%- endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as snippet
    from thresholds
    where false
)

select * from violations
