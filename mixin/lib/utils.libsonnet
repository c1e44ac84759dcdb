// Helpers shared by the alerts, the rules and the dashboards.
{
  // humanDuration('6h') = '6 hours', '30m' = '30 minutes', '1h' = '1 hour':
  // a Prometheus duration of one unit in words, for annotations and
  // descriptions; anything else (1h30m) is returned as it is.
  humanDuration(d)::
    local units = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', y: 'year' };
    local n = std.substr(d, 0, std.length(d) - 1);
    local unit = std.substr(d, std.length(d) - 1, 1);
    local digits = std.length(n) > 0 && std.all([std.member('0123456789', c) for c in std.stringChars(n)]);
    if digits && std.objectHas(units, unit) then
      '%s %s%s' % [n, units[unit], if n == '1' then '' else 's']
    else d,

  // The runbook entry of an alert: the section "## <alert>" of runbook.md,
  // whose GitHub anchor is the alert name in lower case.
  runbookURL(config, alertName)::
    '%s#%s' % [config.runbookBaseURL, std.asciiLower(alertName)],

  // The selector in words for a description: 'job=~"x.*"' reads "jobs
  // matching x.*", 'job="x"' reads "job x", anything else up{<selector>}.
  describeSelector(selector)::
    local simple(prefix) =
      std.startsWith(selector, prefix) && std.endsWith(selector, '"')
      && std.length(selector) > std.length(prefix) + 1
      && std.length(std.findSubstr('"', selector)) == 2;
    local inner(prefix) = std.substr(selector, std.length(prefix), std.length(selector) - std.length(prefix) - 1);
    if simple('job=~"') then 'jobs matching ' + inner('job=~"')
    else if simple('job="') then 'job ' + inner('job="')
    else 'up{%s}' % selector,

  // withOwner(config, expr) is expr with, when config.ownerLabels is not
  // empty, the resource's owner labels of backup_resource_info: expr *
  // the info series (value 1, one per resource: topk keeps one when
  // several exporters serve the resource), or else expr alone, so that a
  // resource without the series still raises the alert. expr's series
  // must carry provider, target and resource_id.
  withOwner(config, expr)::
    if std.length(config.ownerLabels) == 0 then expr
    else
      local inner = std.join('\n  ', std.split(std.rstripChars(expr, '\n'), '\n'));
      |||
        (
          %(expr)s
        )
        * on (provider, target, resource_id) group_left (%(labels)s)
          topk by (provider, target, resource_id) (1, backup_resource_info)
        or on (provider, target, resource_id)
        (
          %(expr)s
        )
      ||| % { expr: inner, labels: std.join(', ', config.ownerLabels) },

  // The common part of an alert: name, `for`, severity and runbook_url
  // from _config (alertFor, alertSeverity, runbookBaseURL). Add expr,
  // annotations.summary and annotations.description (and a comment::,
  // which only the generated rules.yml shows).
  alert(config, name):: {
    alert: name,
    'for': config.alertFor[name],
    labels: {
      severity: config.alertSeverity[name],
    },
    annotations: {
      runbook_url: $.runbookURL(config, name),
    },
  },
}
