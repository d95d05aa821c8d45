{#- round_div(num, den, places=6) — the exact quotient num/den rounded once, half away from zero, to
  `places` decimals [GEN-4], as DECIMAL(38, places); NULL when den = 0 (or NULL). den must be ≥ 0 (an
  amount, a driver or a count); num is any DECIMAL or integer. DuckDB's `/` on DECIMAL returns DOUBLE, so
  the float quotient only proposes k ≈ |num/den|·10^places, and exact DECIMAL products decide the result:
  k is the answer iff (k − ½)·10^-places·den ≤ |num| < (k + ½)·10^-places·den, else k ± 1 (half away from
  zero = half up on |num|). A float proposal more than 1 off (|quotient|·10^places beyond ~10^14) raises
  rather than rounding wrongly. Pass column names: each argument is repeated in the expansion.
  Fast path (issue 13: the DECIMAL(38) products cost ~1.5 µs a row), the same value by proof and by test
  (tests/unit/test_finance_round_div.py): the float quotient q = num/den·10^places carries a relative error of a
  few ulps (two conversions to DOUBLE, one division, one product), far below 10^-14; so when |q| < 10^12 the
  exact quotient lies within 0.01 of q, and when moreover |q − round(q)| < 0.49 it lies strictly within ½ of
  k = round(q): k is the rounded quotient whatever the tie rule. Every other row (near a tie, large) takes the
  exact products below, so errors and NULLs are unchanged. `num_float`, when given, is num as DOUBLE computed
  from its factors (e.g. 'CAST(a AS DOUBLE) * CAST(b AS DOUBLE)' for num = a·b): converting a 128-bit product
  to DOUBLE costs ~0.4 µs a row, its factors ~10 ns; one more rounding keeps the error a few ulps. -#}
{% macro round_div(num, den, places=6, num_float=None) -%}
{%- set k = 'CAST(abs(round(CAST(' ~ num ~ ' AS DOUBLE) / CAST(' ~ den ~ ' AS DOUBLE) * ' ~ 10 ** places ~ ')) AS DECIMAL(38,0))' -%}
{%- set q = '((' ~ (num_float or 'CAST(' ~ num ~ ' AS DOUBLE)') ~ ') / CAST(' ~ den ~ ' AS DOUBLE) * ' ~ 10 ** places ~ ')' -%}
{%- set unit = "CAST('" ~ '%.*f' % (places, 10 ** -places) ~ "' AS DECIMAL(" ~ (places + 1) ~ "," ~ places ~ "))" -%}
{%- set bound = "CAST('" ~ '%.*f' % (places, 10 ** -places) ~ "' AS DECIMAL(" ~ (places + 1) ~ "," ~ places ~ ")) * (" ~ den ~ ")" -%}
(CASE
    WHEN ({{ den }}) = 0 THEN NULL
    WHEN abs({{ q }}) < 1e12 AND abs({{ q }} - round({{ q }})) < 0.49
        THEN CAST(CAST(round({{ q }}) AS BIGINT) AS DECIMAL(38,0)) * {{ unit }}
    WHEN abs({{ num }}) < ({{ k }} - 1.5) * {{ bound }} OR abs({{ num }}) >= ({{ k }} + 1.5) * {{ bound }}
        THEN error('round_div: quotient out of the exact range of [GEN-4] rounding')
    ELSE sign({{ num }}) * ({{ k }}
        + CASE WHEN abs({{ num }}) >= ({{ k }} + 0.5) * {{ bound }} THEN 1
               WHEN abs({{ num }}) < ({{ k }} - 0.5) * {{ bound }} THEN -1
               ELSE 0 END)
        * CAST('{{ '%.*f' % (places, 10 ** -places) }}' AS DECIMAL({{ places + 1 }},{{ places }}))
END)
{%- endmacro %}
