'use strict';
// An istanbul text reporter that prints the per-file table only for the files
// and folders named in `options.focus` (regular expression sources matched
// against the path relative to the coverage root, e.g. `core/src/partition/`
// when the root is packages/), plus the "All files" row.
// vitest.config.ts uses it for the runtime's partition code and each
// connector's subscription/consumer code; text-summary covers the rest.
const TextReport = require('istanbul-reports/lib/text');

class FocusedTextReport extends TextReport {
  constructor(opts = {}) {
    super(opts);
    this.focus = (opts.focus ?? []).map((source) => new RegExp(source));
  }

  focused(node) {
    if (node.isRoot()) return true;
    const name = node.getQualifiedName();
    return this.focus.some((re) => re.test(name));
  }

  onSummary(node, context) {
    if (this.focused(node)) super.onSummary(node, context);
  }

  onDetail(node, context) {
    if (this.focused(node)) super.onDetail(node, context);
  }
}

module.exports = FocusedTextReport;
