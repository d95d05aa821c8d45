-- model: finance_vat
-- version: 1
-- purpose: VAT per path and month: output and input VAT, remittance per calendar VAT period after the lag, payable [FIN-5]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path
--   month BIGINT <month>  plan month t
--   output_vat_eur DECIMAL(18,6) <EUR>  round6(vat_pct/100 × (credits_sold_eur + revenue_private_eur))
--   input_vat_eur DECIMAL(18,6) <EUR>  round6(vat_pct/100 × (VAT-able fixed items + bizdev + capex))
--   vat_net_eur DECIMAL(18,6) <EUR>  output − input
--   vat_remitted_eur DECIMAL(18,6) <EUR>  Σ vat_net over the plan months of the VAT period that ends in month t − lag (negative = refund)
--   vat_payable_eur DECIMAL(18,6) <EUR>  Σ_{s≤t} (vat_net_s − vat_remitted_s) (negative = receivable)
-- GPU rental and advertising are reverse-charged (no net VAT), insurance is exempt, the contingency carries
-- none: they appear in neither base. A period that ends after month H − lag stays in vat_payable.
WITH
base AS (
    SELECT
        p.path_id, p.month, f.vat_period_key, f.vat_period_end, fp.vat_payment_lag_months AS lag_months,
        {{ pct_of('fp.vat_pct', '(p.credits_sold_eur + p.revenue_private_eur)') }} AS output_vat,
        f.input_vat_eur AS input_vat
    FROM {{ ref('finance_pnl') }} AS p
    JOIN {{ ref('finance_fixed_month') }} AS f USING (param_set_id, month)
    JOIN {{ ref('finance_params') }} AS fp USING (param_set_id)
),
net AS (
    SELECT *,
        output_vat - input_vat AS vat_net,
        -- all plan months of the period (a period ending in s has no plan month after s)
        sum(output_vat - input_vat) OVER (PARTITION BY path_id, vat_period_key) AS period_net
    FROM base
),
remitted AS (
    SELECT n.*, coalesce(ended.period_net, 0) AS vat_remitted
    FROM net AS n
    LEFT JOIN net AS ended
        ON ended.path_id = n.path_id AND ended.month = n.month - n.lag_months AND ended.vat_period_end
)
SELECT
    path_id,
    month,
    output_vat AS output_vat_eur,
    input_vat AS input_vat_eur,
    CAST(vat_net AS DECIMAL(18,6)) AS vat_net_eur,
    CAST(vat_remitted AS DECIMAL(18,6)) AS vat_remitted_eur,
    CAST(sum(vat_net - vat_remitted) OVER (PARTITION BY path_id ORDER BY month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS DECIMAL(18,6)) AS vat_payable_eur
FROM remitted
ORDER BY path_id, month
