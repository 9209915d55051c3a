{#-
    numerator / denominator rounded half away from zero to `scale` places, computed with
    integers so that every engine returns the same digits (`/` on decimals is a double on
    DuckDB, a decimal on Spark). The numerator must have at most `scale` decimal places
    (money has 2, day counts 0) and |numerator| x 10^(scale + denominator_scale) must fit a
    bigint (~9.2e18), or with `wide` a 128-bit integer (`exact_integer_type`; ~1e38, about 60%
    slower per row): wide where the numerator sums many users' money (a tier's, a campaign cell's or
    a stream's GMV; a platform's year is ~1e12 CNY, times 10^8 for a GMV share), bigint on the
    per-user rows of the chain. The quotient x 10^scale must stay under 1e18. The denominator is
    a whole number unless `denominator_scale` says how many decimal places it has (2 for money):
    both sides are then multiplied by 10^denominator_scale, since a money denominator cast to an
    integer would lose its cents. Null when the denominator is 0 or null. Returns a decimal with
    `scale` places; callers cast to the contract type.
-#}
{% macro divide_exact(numerator, denominator, scale=6, denominator_scale=0, wide=false) -%}
    {%- set integer_type = livetier.exact_integer_type() if wide else 'bigint' -%}
    {%- set scaled_numerator -%}
        cast(abs(cast({{ numerator }} as decimal(38, {{ scale }}))) * {{ 10 ** (scale + denominator_scale) }} as {{ integer_type }})
    {%- endset -%}
    {%- set positive_denominator -%}
        {%- if denominator_scale == 0 -%}
            cast(abs(nullif({{ denominator }}, 0)) as {{ integer_type }})
        {%- else -%}
            cast(abs(cast(nullif({{ denominator }}, 0) as decimal(38, {{ denominator_scale }})))
                * {{ 10 ** denominator_scale }} as {{ integer_type }})
        {%- endif -%}
    {%- endset -%}
    {%- set unit = '1' if scale == 0 else '0.' ~ ('0' * (scale - 1)) ~ '1' -%}
    (
        case when ({{ numerator }} < 0) = ({{ denominator }} < 0) then 1 else -1 end
        * cast(
            {{ livetier.integer_divide(
                '2 * ' ~ scaled_numerator ~ ' + ' ~ positive_denominator,
                '2 * ' ~ positive_denominator
            ) }} as decimal(18, 0)
        )
        * cast({{ unit }} as decimal(18, {{ scale }}))
    )
{%- endmacro %}
