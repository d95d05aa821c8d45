{#- pct_of(pct, amount) — round6(pct/100 × amount) as DECIMAL(18,6), half away from zero [GEN-4]: a percentage
  (fee, VAT, contingency) of an amount, exactly `CAST(pct * amount * 0.01 AS DECIMAL(18,6))`.
  Why a macro (issue 13): that product carries 16–18 decimals in a 128-bit DECIMAL, and DuckDB's rescale of
  a 128-bit value to DECIMAL(18,6) costs ~1 µs a row (20× the rest of the expression). Fast path, the same
  value by proof and by test (tests/unit/test_pct_of.py): q = pct·amount·10^4 in float64 carries a relative
  error of at most a few ulps (two conversions to DOUBLE of values that fit in 64 bits, two products), so
  when |q| < 10^12 the exact product·10^6 lies within 0.001 of q; when moreover |q − round(q)| < 0.49 it
  lies strictly within ½ of k = round(q), so k·10^-6 is the rounded product whatever the tie rule. Every
  other row (near a tie, large) takes the exact DECIMAL product, so values, errors and NULLs are unchanged.
  Pass the operands as the exact expression would read them (each is repeated in the expansion). -#}
{% macro pct_of(pct, amount) -%}
{{ round6_fast('(CAST(' ~ pct ~ ' AS DOUBLE) * CAST(' ~ amount ~ ' AS DOUBLE) * 10000)',
    'CAST((' ~ pct ~ ') * (' ~ amount ~ ") * CAST('0.01' AS DECIMAL(3,2)) AS DECIMAL(18,6))") }}
{%- endmacro %}
