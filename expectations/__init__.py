"""Wedding data quality: the rule catalogue, its Great Expectations suite, runner and scoring.

`expectations.catalogue` lists every rule (shaped by `expectations.rule`, reading raw text
through `expectations.sql`, the longer queries in `expectations.queries`); `expectations.suite`
turns them into GX Core 1.x suites; `expectations.runner` evaluates a rule into a
`RuleOutcome`; `expectations.store` writes outcomes to `quality.quarantine` and
`quality.check_results`; `expectations.scoring` measures the rules against the simulator's
injected defects, and `expectations.messy_trial` against messy exports they were not written
for (`wedsync.messy_exports`).
"""
