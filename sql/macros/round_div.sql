{#- round_div(num, den, places=6) — the exact quotient num/den rounded once, half away from zero, to
  `places` decimals [GEN-4], as DECIMAL(38, places); NULL when den = 0 (or NULL). den must be ≥ 0 (an
  amount, a driver or a count); num is any DECIMAL or integer. DuckDB's `/` on DECIMAL returns DOUBLE, so
  the float quotient only proposes k ≈ |num/den|·10^places, and exact DECIMAL products decide the result:
  k is the answer iff (k − ½)·10^-places·den ≤ |num| < (k + ½)·10^-places·den, else k ± 1 (half away from
  zero = half up on |num|). A float proposal more than 1 off (|quotient|·10^places beyond ~10^14) raises
  rather than rounding wrongly. Pass column names: each argument is repeated in the expansion. -#}
{% macro round_div(num, den, places=6) -%}
{%- set k = 'CAST(abs(round(CAST(' ~ num ~ ' AS DOUBLE) / CAST(' ~ den ~ ' AS DOUBLE) * ' ~ 10 ** places ~ ')) AS DECIMAL(38,0))' -%}
{%- set bound = "CAST('" ~ '%.*f' % (places, 10 ** -places) ~ "' AS DECIMAL(" ~ (places + 1) ~ "," ~ places ~ ")) * (" ~ den ~ ")" -%}
(CASE
    WHEN ({{ den }}) = 0 THEN NULL
    WHEN abs({{ num }}) < ({{ k }} - 1.5) * {{ bound }} OR abs({{ num }}) >= ({{ k }} + 1.5) * {{ bound }}
        THEN error('round_div: quotient out of the exact range of [GEN-4] rounding')
    ELSE sign({{ num }}) * ({{ k }}
        + CASE WHEN abs({{ num }}) >= ({{ k }} + 0.5) * {{ bound }} THEN 1
               WHEN abs({{ num }}) < ({{ k }} - 0.5) * {{ bound }} THEN -1
               ELSE 0 END)
        * CAST('{{ '%.*f' % (places, 10 ** -places) }}' AS DECIMAL({{ places + 1 }},{{ places }}))
END)
{%- endmacro %}
