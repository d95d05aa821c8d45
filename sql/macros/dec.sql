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
  Non-finite input (NaN, ±inf) and |value| ≥ 10^12 − 0.0000005 raise a DuckDB conversion error; NULL
  stays NULL. An integer or DECIMAL expression is first taken as float64, like Python dec(float(x)).
-#}
{% macro dec(expr, width=18, scale=6) -%}
CAST(CAST(CAST(({{ expr }}) AS DOUBLE) AS VARCHAR) AS DECIMAL({{ width }},{{ scale }}))
{%- endmacro %}
