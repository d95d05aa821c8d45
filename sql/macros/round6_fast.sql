{#- round6_fast(q, exact): k·10^-6 for k = round(q) when q (a float of the exact value × 10^6) is far from a tie
  and below 10^12, else the `exact` expression; both DECIMAL(18,6). -#}
{% macro round6_fast(q, exact) -%}
(CASE WHEN abs({{ q }}) < 1e12 AND abs({{ q }} - round({{ q }})) < 0.49
    THEN CAST(CAST(CAST(round({{ q }}) AS BIGINT) AS DECIMAL(18,0)) * CAST('0.000001' AS DECIMAL(7,6)) AS DECIMAL(18,6))
    ELSE {{ exact }} END)
{%- endmacro %}
