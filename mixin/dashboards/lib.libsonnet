// Building blocks of the dashboards: plain Grafana JSON (schemaVersion 39),
// no grafonnet. Every panel and query uses the $datasource variable.
{
  datasource:: { type: 'prometheus', uid: '${datasource}' },

  // The label filters of the dashboards' variables.
  sel:: {
    provider: 'provider=~"$provider"',
    target: 'provider=~"$provider",target=~"$target"',
    resource: 'provider=~"$provider",target=~"$target",resource_name=~"$resource_name"',
  },

  gridPos(x, y, w, h):: { x: x, y: y, w: w, h: h },

  // A row spanning the width at height y.
  row(id, title, y):: {
    id: id,
    type: 'row',
    title: title,
    collapsed: false,
    gridPos: $.gridPos(0, y, 24, 1),
    panels: [],
  },

  // A panel of the given type; add targets (and options, fieldConfig
  // defaults, transformations) with +.
  panel(id, type, title, description, gridPos, unit):: {
    id: id,
    type: type,
    title: title,
    description: description,
    datasource: $.datasource,
    gridPos: gridPos,
    fieldConfig: {
      defaults: { unit: unit },
      overrides: [],
    },
    options: {},
    targets: [],
  },

  // A range query (time series, state timeline).
  rangeTarget(refId, expr, legendFormat):: {
    expr: expr,
    legendFormat: legendFormat,
    refId: refId,
    datasource: $.datasource,
    range: true,
  },

  // An instant query (stat, bar gauge).
  instantTarget(refId, expr, legendFormat):: {
    expr: expr,
    instant: true,
    range: false,
    legendFormat: legendFormat,
    refId: refId,
    datasource: $.datasource,
  },

  // An instant query in table format.
  tableTarget(refId, expr):: $.instantTarget(refId, expr, '__auto') + { format: 'table' },

  // The last value of each series (stat, bar gauge).
  reduceLast:: {
    calcs: ['lastNotNull'],
    fields: '',
    values: false,
  },

  // A value mapping: valueMapping({ '0': ['down', 'red'], '1': ['up', 'green'] }).
  valueMapping(m):: {
    type: 'value',
    options: { [k]: { text: m[k][0], color: m[k][1] } for k in std.objectFields(m) },
  },

  // Absolute thresholds: steps [[color, value], ...], the first value null.
  thresholds(steps):: {
    mode: 'absolute',
    steps: [{ color: s[0], value: s[1] } for s in steps],
  },

  // A multi-value query variable with All, whose values are label_values(query, label).
  queryVariable(name, label, query, labelName):: {
    local q = 'label_values(%s, %s)' % [query, labelName],
    name: name,
    label: label,
    type: 'query',
    datasource: $.datasource,
    query: {
      query: q,
      refId: 'PrometheusVariableQueryEditor-VariableQuery',
      qryType: 1,
    },
    definition: q,
    refresh: 2,
    multi: true,
    includeAll: true,
    allValue: '.*',
    current: {
      selected: true,
      text: ['All'],
      value: ['$__all'],
    },
    sort: 1,
    regex: '',
    options: [],
  },

  // The variables of both dashboards: datasource, provider, target, resource_name.
  variables:: {
    datasource: {
      name: 'datasource',
      label: 'Data source',
      type: 'datasource',
      query: 'prometheus',
      current: {},
      hide: 0,
      refresh: 1,
      regex: '',
      options: [],
    },
    provider: $.queryVariable('provider', 'Provider', 'backup_exporter_target_up', 'provider'),
    target: $.queryVariable('target', 'Target', 'backup_exporter_target_up{%s}' % $.sel.provider, 'target'),
    resource_name: $.queryVariable('resource_name', 'Resource', 'backup_protected{%s}' % $.sel.target, 'resource_name'),
  },

  // A dashboard of the given panels and variables.
  dashboard(uid, title, description, tags, panels, variables):: {
    __inputs: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: description,
    editable: true,
    graphTooltip: 1,
    id: null,
    links: [],
    panels: panels,
    refresh: '1m',
    schemaVersion: 39,
    tags: tags,
    templating: { list: variables },
    time: { from: 'now-7d', to: 'now' },
    timepicker: {},
    timezone: '',
    title: title,
    uid: uid,
    version: 1,
  },
}
