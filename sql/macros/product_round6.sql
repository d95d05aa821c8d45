{#- product_round6(a, b) — round(a × b, 6) as DECIMAL(18,6), half away from zero: an amount times a factor (e.g.
  the infrastructure overhead 1 + pct/100), exactly `CAST(round(CAST(a AS DECIMAL(38,6)) * b, 6) AS
  DECIMAL(18,6))`, with the fast path and proof of pct_of (q = a·b·10^6). -#}
{% macro product_round6(a, b) -%}
{{ round6_fast('(CAST(' ~ a ~ ' AS DOUBLE) * CAST(' ~ b ~ ' AS DOUBLE) * 1000000)',
    'CAST(round(CAST(' ~ a ~ ' AS DECIMAL(38, 6)) * (' ~ b ~ '), 6) AS DECIMAL(18, 6))') }}
{%- endmacro %}
