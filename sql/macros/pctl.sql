{#-
  pctl(relation, group_keys, value_col, percentiles, p_col='p', value_out='value') — DOMAIN GEN-5
  percentiles per group as a complete SELECT (no trailing semicolon, no outer parentheses):

      SELECT <group keys…>, <p_col> INTEGER, <value_out>

  one row per (group, percentile). Use it as `FROM ({{ pctl(...) }}) AS q`, as a CTE body
  `q AS ({{ pctl(...) }})` or after `CREATE TABLE … AS`. Rows are not ordered.

  Args:
    relation     a table name, ref(...) or parenthesised subquery with an alias.
    group_keys   list of column names ([] = one group over the whole relation). NULL keys form their
                 own group.
    value_col    column name or expression of the value (DECIMAL, integer or DOUBLE).
    percentiles  list of integers 0..100 (median = 50).

  Method (order statistics, never quantile_cont): non-null values are numbered 0..n−1 ascending
  (row_number), i = ⌊(n−1)·p/100⌋, r = (n−1)·p − 100·i, f = r/100 as DECIMAL(38,2), and
  value = x_i + (x_{i+1} − x_i)·f with x_{i+1} := x_i at the top (lead(…) is NULL there).
  - DECIMAL / integer values: exact decimal arithmetic; the result has two more decimals than the
    input (DECIMAL(18,6) → DECIMAL(38,8); BIGINT → DECIMAL(38,2)). Round only at export.
    f is DECIMAL(38,2), not DECIMAL(5,2), because DuckDB multiplies two DECIMALs of width ≤ 18 in
    DECIMAL(18, s1+s2) and raises "Overflow in multiplication" instead of widening (a DECIMAL(16,6)
    difference of 2e10 times 0.99 would fail).
  - DOUBLE values: DuckDB turns f into the float64 nearest r/100 (= the correctly rounded r/100) and
    evaluates x_i + (x_{i+1} − x_i)·f in float64 — identical to formats.percentile_float().
  NaN is not NULL: DuckDB sorts it above every number, so keep NaN out of the input.
  A group whose values are all NULL yields NULL for every percentile; a relation without rows and
  with group keys yields no rows; without group keys it yields NULLs.
  Percentiles outside 0..100 or not integers fail at render time (StrictUndefined).
-#}
{% macro pctl(relation, group_keys, value_col, percentiles, p_col='p', value_out='value') -%}
{%- for q in percentiles %}{% if not (q is integer and 0 <= q <= 100) %}{{ pctl_percentile_must_be_an_integer_0_to_100 }}{% endif %}{% endfor -%}
{%- set keys = group_keys | join(', ') -%}
{%- set kp = keys ~ ', ' if group_keys else '' -%}
WITH _pctl_src AS (
    SELECT {{ kp }}({{ value_col }}) AS _pctl_v
    FROM {{ relation }}
),
_pctl_ps AS (
    SELECT * FROM (VALUES {% for q in percentiles %}({{ q }}){{ ', ' if not loop.last }}{% endfor %}) AS _pctl_ps(_pctl_p)
),
_pctl_ranked AS (
    SELECT {{ kp }}_pctl_v,
        row_number() OVER _pctl_w - 1 AS _pctl_rn,
        lead(_pctl_v) OVER _pctl_w AS _pctl_next,
        count(*) OVER ({{ 'PARTITION BY ' ~ keys if group_keys }}) AS _pctl_n
    FROM _pctl_src
    WHERE _pctl_v IS NOT NULL
    WINDOW _pctl_w AS ({{ 'PARTITION BY ' ~ keys ~ ' ' if group_keys }}ORDER BY _pctl_v)
),
_pctl_picked AS (
    SELECT {{ kp }}CAST(_pctl_p AS INTEGER) AS _pctl_p, _pctl_v, coalesce(_pctl_next, _pctl_v) AS _pctl_next,
        CAST(
            CAST((_pctl_n - 1) * _pctl_p - 100 * (((_pctl_n - 1) * _pctl_p) // 100) AS DECIMAL(2,0))
                * CAST('0.01' AS DECIMAL(3,2))
            AS DECIMAL(38,2)) AS _pctl_f
    FROM _pctl_ranked CROSS JOIN _pctl_ps
    WHERE _pctl_rn = ((_pctl_n - 1) * _pctl_p) // 100
),
_pctl_empty AS (
    SELECT {{ kp }}CAST(_pctl_p AS INTEGER) AS _pctl_p
    FROM (
        SELECT {{ keys if group_keys else '1 AS _pctl_one' }}
        FROM _pctl_src{{ ' GROUP BY ' ~ keys if group_keys }}
        HAVING count(_pctl_v) = 0
    ) AS _pctl_g CROSS JOIN _pctl_ps
)
SELECT {{ kp }}_pctl_p AS {{ p_col }}, _pctl_v + (_pctl_next - _pctl_v) * _pctl_f AS {{ value_out }}
FROM _pctl_picked
UNION ALL
SELECT {{ kp }}_pctl_p AS {{ p_col }}, NULL AS {{ value_out }}
FROM _pctl_empty
{%- endmacro %}
