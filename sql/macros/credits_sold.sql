{#- credits_sold(usage, kept_float, breakage_e12) — [PUB-10] credits sold = round6(usage / (1 − breakage/100)), as
  DECIMAL(18,6): with u = usage in micro-euros and B = breakage_pct·10^12 (exact for up to 12 decimals),
  round_half_up(u·100·10^12 / (100·10^12 − B)) µEUR in HUGEINT, because DuckDB divides DECIMALs in float
  [GEN-4]. `kept_float` is DOUBLE(100 − breakage_pct), the exact complement rounded once (no cancellation).
  Fast path (issue 13), round6_fast's proof: q = usage·100/kept·10^6 in float64 is within a few ulps of the
  exact quotient, so a row far from a tie takes k = round(q). Usage revenue is never negative, where half up
  is half away from zero. Tested against exact arithmetic in tests/unit/test_pct_of.py. -#}
{% macro credits_sold(usage, kept_float, breakage_e12) -%}
{{ round6_fast('(CAST(' ~ usage ~ ' AS DOUBLE) * 100 / ' ~ kept_float ~ ' * 1000000)',
    'CAST(CAST((2 * (CAST(CAST(' ~ usage ~ ' AS DECIMAL(38, 6)) * 1000000 AS HUGEINT) * 100000000000000)'
    ~ ' + (100000000000000 - ' ~ breakage_e12 ~ ')) // (2 * (100000000000000 - ' ~ breakage_e12 ~ '))'
    ~ " AS DECIMAL(38, 0)) * CAST('0.000001' AS DECIMAL(7, 6)) AS DECIMAL(18, 6))") }}
{%- endmacro %}
