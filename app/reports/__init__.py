"""Monthly summaries for managers (issue #8).

`summary` computes one `MonthlySummary` in SQL; `render` writes it as JSON,
CSV, HTML and PDF (`charts` draws the inline SVG); `api` serves
`GET /api/v1/reports/monthly`; `cli` is `varsel reports monthly`; `job` is the
`monthly-reports` job that archives (`models.ReportArchive`) and mails them.
"""
