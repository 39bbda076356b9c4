-- Reserved for the backups step (issue 4), which lands its own 0004 at merge; the
-- migration runner needs numbers without gaps, so this placeholder lets the chart's
-- 0005 apply until then. It changes nothing. The lead drops it at merge.
SELECT 1;
