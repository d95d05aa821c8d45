{#-
  dec(expr) — DOMAIN GEN-4 `DEC(v)`: a float64 value becomes the decimal of its shortest round-trip
  text, rounded half away from zero to 6 decimals, as DECIMAL(18,6). Python twin: formats.dec().
  dec(expr, width, scale) is the same conversion to DECIMAL(width,scale): an input value (a rate, a
  day count, a premium) read exactly as DECIMAL(38,10). The engine's one float → decimal conversion in
  SQL; its Python twin is formats.float_to_decimal (a test holds both equal).

  Why this exact shape (checked on DuckDB 2.0.0, see tests/unit/test_formats.py):
  - CAST(double AS VARCHAR) is the shortest round-trip text (same decimal value as Python repr; it may
    use an exponent, e.g. '5e-07', '1e+16').
  - CAST(varchar AS DECIMAL(18,6)) parses exponents and rounds half away from zero on ALL digits of
    the text in one step ('5e-07' → 0.000001, '1.4999999999999998e-06' → 0.000001).
  - Do NOT go through a wider DECIMAL first (e.g. DECIMAL(38,12) then ROUND(…, 6)): that rounds twice
    and turns 1.4999999999999998e-06 into 0.000002.
  - Do NOT cast DOUBLE to DECIMAL directly: it rounds the binary value with float error
    (509397150950.236 → 509397150950.236032).
  Fast path (issue 13: the text round trip dominated the 5.4 M-row models), the same value by proof and
  by test (tests/unit/test_dec_fast_path.py): with c = x·10^scale in
  float64 (10^scale exact for scale ≤ 22) and k = round(c), when |c| < 10^13 (< 2^44) and |c − k| < 0.49
  the result is k·10^−scale. Why: the shortest text s lies within ulp(x)/2 ≤ |x|·2^−53 of x, and c within
  |c|·2^−53 of x·10^scale, so |s·10^scale − c| < 2^44·2^−52 = 2^−8; hence |s·10^scale − k| < 0.49 + 2^−8
  < ½ and s rounds to k whatever the tie rule (c − k is exact: Sterbenz). Every other value (near a tie,
  large, non-finite, NULL) takes the text route below, so errors and NULLs are unchanged.
  Non-finite input (NaN, ±inf) and |value| ≥ 10^12 − 0.0000005 raise a DuckDB conversion error; NULL
  stays NULL. An integer or DECIMAL expression is first taken as float64, like Python dec(float(x)).
-#}
{% macro dec(expr, width=18, scale=6) -%}
{%- set x = 'CAST((' ~ expr ~ ') AS DOUBLE)' -%}
{%- set text_dec = 'CAST(CAST(' ~ x ~ ' AS VARCHAR) AS DECIMAL(' ~ width ~ ',' ~ scale ~ '))' -%}
{%- if scale is integer and 0 <= scale <= 22 -%}
{%- set c = '(' ~ x ~ ' * 1e' ~ scale ~ ')' -%}
(CASE WHEN abs({{ c }}) < 1e13 AND abs({{ c }} - round({{ c }})) < 0.49
    THEN CAST(CAST(CAST(round({{ c }}) AS BIGINT) AS DECIMAL(18,0))
        * CAST('{{ '%.*f' % (scale, 10 ** -scale) }}' AS DECIMAL({{ scale + 1 }},{{ scale }})) AS DECIMAL({{ width }},{{ scale }}))
    ELSE {{ text_dec }} END)
{%- else -%}
{{ text_dec }}
{%- endif -%}
{%- endmacro %}
